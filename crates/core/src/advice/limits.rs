//! The limit cards: a window reached or near its limit, each led to its knowledge base entry
//! and the commands that help (a spend limit: `/usage-credits` or the reset; a per-model cap:
//! `/model`).

use super::{advice, step, Advice, Inputs, Tone};
use crate::clock::{countdown, reset_label};
use crate::limits::WindowId;

/// A card for each window at or past the "near" percent, in the windows' order.
pub(super) fn cards(i: &Inputs) -> Vec<Advice> {
    let mut out = Vec::new();
    for (id, w) in i.limits.windows() {
        let resets = match w.resets_at {
            Some(at) => format!(
                "resets {} (in {})",
                reset_label(at, i.now, i.zone, i.clock),
                countdown(at, i.now)
            ),
            None => "reset time not known yet".into(),
        };
        let entry = match id {
            WindowId::Model(_) => "model-limit",
            WindowId::Weekly => "weekly-limit",
            WindowId::Spend(_) => "spend-limit",
            WindowId::Credits => "out-of-usage-credits",
            WindowId::Session => "session-limit",
        };
        let (label, used) = (id.label(), w.used_percent);
        if used >= 100.0 {
            let (tone, detail, steps) = match (&id, id.model()) {
                (WindowId::Spend(_), _) => (
                    Tone::Blocked,
                    "Claude Code stops sending until the period resets or the cap is raised."
                        .to_string(),
                    vec![
                        step(
                            "/usage-credits",
                            "raise the spend limit, or wait for the reset",
                        ),
                        step("/usage", "every window and when it resets"),
                    ],
                ),
                (WindowId::Credits, _) => (
                    Tone::Blocked,
                    "The usage credits are used up: Claude Code stops until the reset or more \
                     credits."
                        .to_string(),
                    vec![
                        step("/usage-credits", "add credits or raise their limit"),
                        step("/usage", "every window and when it resets"),
                    ],
                ),
                (_, Some(m)) => (
                    Tone::Degraded,
                    format!("{m} is capped until the reset; other models still work."),
                    vec![
                        step("/model", "switch to another model and carry on"),
                        step("/usage", "every window and when it resets"),
                    ],
                ),
                (_, None) => (
                    Tone::Blocked,
                    "Claude Code stops sending until the reset.".to_string(),
                    vec![
                        step(
                            "/usage-credits",
                            "keep going on usage credits (was /extra-usage)",
                        ),
                        step("/usage", "every window and when it resets"),
                    ],
                ),
            };
            out.push(advice(
                format!("limit-hit:{}", id.key()),
                tone,
                format!("{label} limit reached: {resets}"),
                detail,
                steps,
                entry,
            ));
        } else if used >= i.near_percent {
            let mut detail = format!("{:.0}% left.", 100.0 - used);
            if id == WindowId::Session {
                if let Some(p) = i.limits.projection_line(i.now, i.zone, i.clock) {
                    detail = format!("{detail} {p}.");
                }
            }
            out.push(advice(
                format!("limit-near:{}", id.key()),
                Tone::Info,
                format!("{label} at {used:.0}%: {resets}"),
                detail,
                vec![
                    step("/usage", "every window and when it resets"),
                    step(
                        "/compact",
                        "shrinks a long conversation, so each turn costs less",
                    ),
                    step("/model", "a lighter model makes what is left last longer"),
                ],
                entry,
            ));
        }
    }
    out
}
