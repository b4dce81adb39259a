//! [`SniHost`]: a stand-in StatusNotifierItem watcher and host, and [`Item`], the client side of
//! a registered tray item and of its dbusmenu.
//!
//! On Linux, Tauri's tray icon is a `StatusNotifierItem`: at startup it looks for
//! `org.kde.StatusNotifierWatcher` on the session bus and calls its
//! `RegisterStatusNotifierItem`, with an object path (libayatana-appindicator) or a bus name
//! (e.g. `org.kde.StatusNotifierItem-<pid>-1`, the path then being `/StatusNotifierItem`).
//! Without a watcher, an app may fall back to an XEmbed icon that can't be inspected, or never
//! show an icon at all. So the host must be up *before* the app starts.
//!
//! Everything is read fresh from the bus on each call (no property cache): the app changes its
//! title, icon and menu at runtime. The `wait_for_*` helpers poll every
//! [`POLL_INTERVAL`](crate::wait::POLL_INTERVAL) until a deadline.
//!
//! This module is the watcher and host; the item client is in `item`, its menu in `menu`, both
//! re-exported here.

mod item;
mod menu;

pub use item::{Item, Pixmap, ToolTip};
pub use menu::{describe_menu, strip_mnemonic, MenuEntry, MenuEntryKind};

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::Connection;

use crate::desktop::Desktop;

/// The well-known name [`SniHost`] owns.
pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";
/// The object path [`SniHost`] serves the watcher at.
pub const WATCHER_PATH: &str = "/StatusNotifierWatcher";
/// The item interface [`Item`] reads.
pub const ITEM_INTERFACE: &str = "org.kde.StatusNotifierItem";
/// The menu interface [`Item::menu`] and [`Item::click`] use.
pub const MENU_INTERFACE: &str = "com.canonical.dbusmenu";
/// The default item path, for items registered by bus name.
pub const DEFAULT_ITEM_PATH: &str = "/StatusNotifierItem";

/// How long one D-Bus call to an item may take before it fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// One `RegisterStatusNotifierItem` call the watcher accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The bus name to call the item at: the caller's unique name if it registered an object
    /// path (what libayatana-appindicator does), else the bus name it registered.
    pub service: String,
    /// The item's object path.
    pub path: String,
    /// The unique name of the connection that registered it.
    pub sender: String,
    /// When the watcher handled the call.
    pub registered_at: Instant,
    /// When the sender left the bus (the item is then unregistered), if it did.
    pub unregistered_at: Option<Instant>,
}

impl Registration {
    /// `service` + `path`, the form `RegisteredStatusNotifierItems` and the signals use.
    pub fn id(&self) -> String {
        format!("{}{}", self.service, self.path)
    }
}

#[derive(Debug)]
struct HostState {
    registrations: Mutex<Vec<Registration>>,
    /// Bumped on each change, to wake waiters.
    changed: tokio::sync::watch::Sender<u64>,
}

impl HostState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Registration>> {
        self.registrations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `new` unless the same live item is registered already; true if recorded.
    fn register(&self, new: Registration) -> bool {
        let mut registrations = self.lock();
        let duplicate = registrations
            .iter()
            .any(|r| r.unregistered_at.is_none() && r.service == new.service && r.path == new.path);
        if !duplicate {
            registrations.push(new);
            self.changed.send_modify(|n| *n += 1);
        }
        !duplicate
    }

    /// Marks the items of `name` (a unique or well-known name that lost its owner) unregistered;
    /// returns their ids.
    fn owner_gone(&self, name: &str) -> Vec<String> {
        let now = Instant::now();
        let mut gone = Vec::new();
        for r in self.lock().iter_mut() {
            if r.unregistered_at.is_none() && (r.sender == name || r.service == name) {
                r.unregistered_at = Some(now);
                gone.push(r.id());
            }
        }
        if !gone.is_empty() {
            self.changed.send_modify(|n| *n += 1);
        }
        gone
    }

    fn live_ids(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|r| r.unregistered_at.is_none())
            .map(Registration::id)
            .collect()
    }
}

/// The `org.kde.StatusNotifierWatcher` object.
struct Watcher {
    state: Arc<HostState>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let registered_at = Instant::now();
        let sender = header
            .sender()
            .map(|s| s.to_string())
            .ok_or_else(|| zbus::fdo::Error::InvalidArgs("the call has no sender".into()))?;
        let (service, path) = if service.starts_with('/') {
            (sender.clone(), service.to_string())
        } else {
            (service.to_string(), DEFAULT_ITEM_PATH.to_string())
        };
        let registration = Registration {
            service,
            path,
            sender,
            registered_at,
            unregistered_at: None,
        };
        let id = registration.id();
        if self.state.register(registration) {
            emitter.status_notifier_item_registered(&id).await?;
        }
        Ok(())
    }

    async fn register_status_notifier_host(
        &self,
        _service: &str,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        emitter.status_notifier_host_registered().await?;
        Ok(())
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.state.live_ids()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// A StatusNotifierItem watcher (and host) on a desktop's bus, standing in for a panel.
///
/// It runs on a Tokio runtime of its own (one worker thread), so that it answers the app's
/// `RegisterStatusNotifierItem` at once and stamps [`Registration::registered_at`] truly, even
/// while the test's own thread is blocked (e.g. in a [`Desktop`] wait). Its API is async, for
/// any Tokio runtime (`#[tokio::test]`, current-thread or not). Drop it after the [`Item`]s it
/// gave out: their calls go through its connection.
pub struct SniHost {
    conn: Connection,
    state: Arc<HostState>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for SniHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SniHost")
            .field("registrations", &*self.state.lock())
            .finish_non_exhaustive()
    }
}

impl SniHost {
    /// Starts the host on `desktop`'s bus; returns once it owns [`WATCHER_NAME`].
    pub async fn start(desktop: &Desktop) -> Result<Self> {
        Self::start_on(desktop.bus_address()).await
    }

    /// Starts the host on the bus at `bus_address`; returns once it owns [`WATCHER_NAME`].
    pub async fn start_on(bus_address: &str) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sni-host")
            .enable_all()
            .build()
            .context("starting the SNI host's runtime")?;
        let state = Arc::new(HostState {
            registrations: Mutex::new(Vec::new()),
            changed: tokio::sync::watch::Sender::new(0),
        });
        let address = bus_address.to_string();
        let watcher = Watcher {
            state: state.clone(),
        };
        let listener_state = state.clone();
        let started = runtime.spawn(async move {
            // Built on this runtime, the connection runs on it.
            let conn = zbus::connection::Builder::address(address.as_str())
                .method_timeout(CALL_TIMEOUT)
                .serve_at(WATCHER_PATH, watcher)
                .build()
                .await
                .with_context(|| format!("connecting to the bus at {address}"))?;
            // Follow owners leaving the bus before anyone can register, so none is missed.
            let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
            let mut owner_changes = dbus.receive_name_owner_changed().await?;
            let listener_conn = conn.clone();
            tokio::spawn(async move {
                while let Some(signal) = owner_changes.next().await {
                    let Ok(args) = signal.args() else { continue };
                    if args.new_owner().is_some() {
                        continue;
                    }
                    for id in listener_state.owner_gone(args.name()) {
                        if let Ok(emitter) = SignalEmitter::new(&listener_conn, WATCHER_PATH) {
                            let _ = Watcher::status_notifier_item_unregistered(&emitter, &id).await;
                        }
                    }
                }
            });
            conn.request_name(WATCHER_NAME)
                .await
                .with_context(|| format!("owning {WATCHER_NAME} (is another watcher running?)"))?;
            anyhow::Ok(conn)
        });
        let conn = started
            .await
            .context("the SNI host's startup task failed")??;
        Ok(Self {
            conn,
            state,
            runtime: Some(runtime),
        })
    }

    /// The host's bus connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Every registration so far, in order, including items that left since.
    pub fn registrations(&self) -> Vec<Registration> {
        self.state.lock().clone()
    }

    /// The registered items that are still on the bus.
    pub fn items(&self) -> Vec<Item> {
        self.state
            .lock()
            .iter()
            .filter(|r| r.unregistered_at.is_none())
            .map(|r| Item {
                conn: self.conn.clone(),
                registration: r.clone(),
            })
            .collect()
    }

    /// Waits until an item is registered, and returns the first one still on the bus.
    pub async fn wait_for_item(&self, timeout: Duration) -> Result<Item> {
        let mut items = self.wait_for_items(1, timeout).await?;
        Ok(items.remove(0))
    }

    /// Waits until at least `n` items are registered and on the bus, and returns them in order.
    pub async fn wait_for_items(&self, n: usize, timeout: Duration) -> Result<Vec<Item>> {
        let what = format!("{n} StatusNotifierItem(s) to register with the watcher");
        self.wait_for_state(&what, timeout, || {
            let items = self.items();
            (items.len() >= n).then_some(items)
        })
        .await
    }

    /// Waits until `item`'s owner left the bus, and returns when the watcher noticed.
    pub async fn wait_for_item_gone(&self, item: &Item, timeout: Duration) -> Result<Instant> {
        let what = format!("tray item {} to leave the bus", item.registration.id());
        self.wait_for_state(&what, timeout, || {
            self.state
                .lock()
                .iter()
                .find(|r| r.sender == item.registration.sender && r.path == item.registration.path)
                .and_then(|r| r.unregistered_at)
        })
        .await
    }

    /// Re-checks `check` on each change of the registrations until it yields, or the deadline.
    async fn wait_for_state<T>(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn() -> Option<T>,
    ) -> Result<T> {
        let mut changes = self.state.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(value) = check() {
                return Ok(value);
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                bail!(
                    "timed out after {timeout:?} waiting for {what}; registrations so far: {:#?}",
                    self.registrations()
                );
            }
        }
    }
}

impl Drop for SniHost {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Doesn't block, so it may run inside another runtime.
            runtime.shutdown_background();
        }
    }
}
