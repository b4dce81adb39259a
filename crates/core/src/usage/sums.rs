//! What every report's rows hold: token and cost [`Sums`] (with each model's share), and the
//! [`Totals`] of a report.

use serde::Serialize;

use super::{Entry, Models};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBreakdown {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost: f64,
    pub input_tokens: u64,
    pub model_name: String,
    pub output_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

/// Token and cost sums of a row (a day, week, month or session), in ccusage's layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sums {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub input_tokens: u64,
    pub model_breakdowns: Vec<ModelBreakdown>,
    pub models_used: Vec<String>,
    pub output_tokens: u64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

impl Sums {
    /// Add one entry; costs are summed in the order entries come, as the reference does.
    pub fn add_entry(&mut self, e: &Entry, models: &Models) {
        let t = &e.tokens;
        let cost = e.cost(models);
        self.total_tokens += e.total_tokens();
        self.total_cost += cost;
        let part = ModelBreakdown {
            cache_creation_tokens: t.cache_write_5m + t.cache_write_1h,
            cache_read_tokens: t.cache_read,
            cost,
            input_tokens: t.input,
            model_name: String::new(),
            output_tokens: t.output,
        };
        self.input_tokens += part.input_tokens;
        self.output_tokens += part.output_tokens;
        self.cache_creation_tokens += part.cache_creation_tokens;
        self.cache_read_tokens += part.cache_read_tokens;
        // An entry without a model counts in the row, but in no model's breakdown.
        if let Some(name) = e.display_model(models) {
            self.add_model(name, &part);
        }
    }

    /// Add a finished row (a day into its week or month).
    pub(super) fn add_sums(&mut self, other: &Sums) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_tokens += other.cache_creation_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.total_tokens += other.total_tokens;
        self.total_cost += other.total_cost;
        for m in &other.models_used {
            if !self.models_used.contains(m) {
                self.models_used.push(m.clone());
            }
        }
        for m in &other.model_breakdowns {
            self.add_model(&m.model_name, m);
        }
    }

    /// Merge `part` into `name`'s breakdown, creating it (and naming the model) on first sight.
    fn add_model(&mut self, name: &str, part: &ModelBreakdown) {
        match self
            .model_breakdowns
            .iter_mut()
            .find(|x| x.model_name == name)
        {
            Some(x) => {
                x.input_tokens += part.input_tokens;
                x.output_tokens += part.output_tokens;
                x.cache_creation_tokens += part.cache_creation_tokens;
                x.cache_read_tokens += part.cache_read_tokens;
                x.cost += part.cost;
            }
            None => {
                if !self.models_used.iter().any(|m| m == name) {
                    self.models_used.push(name.to_string());
                }
                self.model_breakdowns.push(ModelBreakdown {
                    model_name: name.to_string(),
                    ..part.clone()
                });
            }
        }
    }

    /// Most expensive model first; ties keep first-seen order (the sort is stable).
    pub(super) fn finish(&mut self) {
        self.model_breakdowns
            .sort_by(|a, b| b.cost.total_cmp(&a.cost));
    }
}

/// The totals line of a report: its rows summed.
pub(super) fn totals_of<'a>(rows: impl Iterator<Item = &'a Sums> + Clone) -> Totals {
    Totals {
        cache_creation_tokens: rows.clone().map(|d| d.cache_creation_tokens).sum(),
        cache_read_tokens: rows.clone().map(|d| d.cache_read_tokens).sum(),
        input_tokens: rows.clone().map(|d| d.input_tokens).sum(),
        output_tokens: rows.clone().map(|d| d.output_tokens).sum(),
        total_cost: rows.clone().map(|d| d.total_cost).sum(),
        total_tokens: rows.map(|d| d.total_tokens).sum(),
    }
}
