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

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::StreamExt;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{Connection, OwnedVariant, Structure, Variant};

use crate::desktop::Desktop;
use crate::wait::poll_until_async;

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

/// An icon image, as in `IconPixmap` and `ToolTip`: ARGB32, network byte order.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixmap {
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// `width * height * 4` bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for Pixmap {
    /// Sizes only: the pixels would drown a test failure message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pixmap({}x{}, {} bytes)",
            self.width,
            self.height,
            self.data.len()
        )
    }
}

impl Pixmap {
    /// The pixel at (`x`, `y`) as `[a, r, g, b]`, if inside the image.
    pub fn argb(&self, x: i32, y: i32) -> Option<[u8; 4]> {
        if !(0..self.width).contains(&x) || !(0..self.height).contains(&y) {
            return None;
        }
        let i = usize::try_from((y * self.width + x) * 4).ok()?;
        self.data.get(i..i + 4)?.try_into().ok()
    }
}

/// The `ToolTip` property: `(sa(iiay)ss)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolTip {
    /// A freedesktop icon name, or "".
    pub icon_name: String,
    /// Icon images.
    pub pixmaps: Vec<Pixmap>,
    /// The title.
    pub title: String,
    /// The description (may contain markup).
    pub description: String,
}

/// What kind of dbusmenu entry a [`MenuEntry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuEntryKind {
    /// A clickable entry (`type` "standard" or absent).
    Standard,
    /// A separator (`type` "separator").
    Separator,
    /// An entry that opens a submenu (`children-display` "submenu").
    Submenu,
}

/// One entry of a tray item's menu, flattened from `GetLayout`.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    /// The dbusmenu id, for [`Item::click`]. Not stable across menu rebuilds.
    pub id: i32,
    /// The id of the parent entry (0: the root, i.e. a top-level entry).
    pub parent: i32,
    /// 0 for top-level entries, 1 in a submenu, ...
    pub depth: usize,
    /// The label with mnemonics removed (`_Quit` → `Quit`, `a__b` → `a_b`).
    pub label: String,
    /// The label as sent.
    pub raw_label: String,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `visible` (default true).
    pub visible: bool,
    /// Standard, separator or submenu.
    pub kind: MenuEntryKind,
    /// For check and radio entries (`toggle-type`), whether they're on (`toggle-state` 1).
    pub checked: Option<bool>,
}

/// A registered StatusNotifierItem, read fresh from the bus on each call.
#[derive(Clone)]
pub struct Item {
    conn: Connection,
    registration: Registration,
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("registration", &self.registration)
            .finish_non_exhaustive()
    }
}

impl Item {
    /// How it was registered.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// The bus name the item is called at.
    pub fn service(&self) -> &str {
        &self.registration.service
    }

    /// The item's object path.
    pub fn path(&self) -> &str {
        &self.registration.path
    }

    /// When the watcher handled the registration (compare with the `Instant` the app was spawned
    /// at).
    pub fn registered_at(&self) -> Instant {
        self.registration.registered_at
    }

    /// Reads property `name` of `org.kde.StatusNotifierItem`.
    pub async fn property(&self, name: &str) -> Result<OwnedVariant> {
        let reply = self
            .conn
            .call_method(
                Some(self.service()),
                self.path(),
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(ITEM_INTERFACE, name),
            )
            .await
            .with_context(|| format!("reading {name} of tray item {}", self.registration.id()))?;
        reply
            .body()
            .deserialize::<OwnedVariant>()
            .with_context(|| format!("decoding {name}"))
    }

    /// Reads a string (or object path) property.
    pub async fn string_property(&self, name: &str) -> Result<String> {
        let value = self.property(name).await?;
        as_string(&value).with_context(|| format!("{name} of tray item {}", self.registration.id()))
    }

    /// `Title`.
    pub async fn title(&self) -> Result<String> {
        self.string_property("Title").await
    }

    /// `Id`.
    pub async fn id(&self) -> Result<String> {
        self.string_property("Id").await
    }

    /// `Category`.
    pub async fn category(&self) -> Result<String> {
        self.string_property("Category").await
    }

    /// `Status`: "Passive", "Active" or "NeedsAttention".
    pub async fn status(&self) -> Result<String> {
        self.string_property("Status").await
    }

    /// `IconName`: a theme icon name, or (libayatana-appindicator) a file name without
    /// extension in [`Item::icon_theme_path`].
    pub async fn icon_name(&self) -> Result<String> {
        self.string_property("IconName").await
    }

    /// `IconThemePath`: an extra directory to look icons up in.
    pub async fn icon_theme_path(&self) -> Result<String> {
        self.string_property("IconThemePath").await
    }

    /// `Menu`: the object path of the item's dbusmenu.
    pub async fn menu_path(&self) -> Result<String> {
        self.string_property("Menu").await
    }

    /// `ToolTip`, or `None` if the item doesn't have the property (libayatana-appindicator
    /// doesn't; the tray of ccpulse-tray does).
    pub async fn tooltip(&self) -> Result<Option<ToolTip>> {
        let Ok(value) = self.property("ToolTip").await else {
            return Ok(None);
        };
        let fields = structure_fields(&value).context("ToolTip is not a structure")?;
        let [icon_name, pixmaps, title, description] = fields else {
            bail!("ToolTip has {} fields, not 4 (sa(iiay)ss)", fields.len());
        };
        Ok(Some(ToolTip {
            icon_name: as_string(icon_name)?,
            pixmaps: as_pixmaps(pixmaps)?,
            title: as_string(title)?,
            description: as_string(description)?,
        }))
    }

    /// The tooltip's text (its description), empty when there is none.
    pub async fn tooltip_text(&self) -> Result<String> {
        Ok(self
            .tooltip()
            .await?
            .map(|t| t.description)
            .unwrap_or_default())
    }

    /// Waits until the tooltip's text contains `want`, and returns it.
    pub async fn wait_for_tooltip(&self, want: &str, timeout: Duration) -> Result<String> {
        let last = Mutex::new(String::new());
        let what = format!("the tooltip to contain {want:?}");
        let result = poll_until_async(&what, timeout, || async {
            let text = self.tooltip_text().await?;
            let done = text.contains(want);
            *last.lock().unwrap_or_else(|e| e.into_inner()) = text.clone();
            Ok(done.then_some(text))
        })
        .await;
        let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
        result.with_context(|| format!("last tooltip: {last:?}"))
    }

    /// `IconPixmap`, or `None` if the item doesn't have the property.
    pub async fn icon_pixmaps(&self) -> Result<Option<Vec<Pixmap>>> {
        let Ok(value) = self.property("IconPixmap").await else {
            return Ok(None);
        };
        as_pixmaps(&value).map(Some)
    }

    /// The whole menu, depth first, without the root: `GetLayout(0, -1, [])` flattened.
    pub async fn menu(&self) -> Result<Vec<MenuEntry>> {
        let menu_path = self.menu_path().await?;
        let reply = self
            .conn
            .call_method(
                Some(self.service()),
                menu_path.as_str(),
                Some(MENU_INTERFACE),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await
            .with_context(|| format!("GetLayout of menu {menu_path} of {}", self.service()))?;
        let body = reply.body();
        let reply: Structure<'_> = body.deserialize().context("decoding the GetLayout reply")?;
        let [_revision, root] = reply.fields() else {
            bail!(
                "GetLayout returned {} values, not 2 (u(ia{{sv}}av))",
                reply.fields().len()
            );
        };
        let mut entries = Vec::new();
        flatten_layout(root, 0, false, &mut entries).context("decoding the menu layout")?;
        Ok(entries)
    }

    /// Sends `Event(id, "clicked", 0, 0)` to the menu: what a panel does when the user clicks an
    /// entry.
    pub async fn click(&self, id: i32) -> Result<()> {
        let menu_path = self.menu_path().await?;
        self.conn
            .call_method(
                Some(self.service()),
                menu_path.as_str(),
                Some(MENU_INTERFACE),
                "Event",
                &(id, "clicked", Variant::new(0i32), 0u32),
            )
            .await
            .with_context(|| format!("clicking menu entry {id} of {}", self.service()))?;
        Ok(())
    }

    /// Clicks the visible, enabled entry labelled `label` (mnemonics stripped); returns it.
    pub async fn click_label(&self, label: &str) -> Result<MenuEntry> {
        let menu = self.menu().await?;
        let entry = menu
            .iter()
            .find(|e| {
                e.label == label && e.visible && e.enabled && e.kind != MenuEntryKind::Separator
            })
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "no visible, enabled menu entry {label:?}; the menu:\n{}",
                    describe_menu(&menu)
                )
            })?;
        self.click(entry.id).await?;
        Ok(entry)
    }

    /// Waits until `Title` satisfies `condition`, and returns it.
    pub async fn wait_for_title(
        &self,
        condition: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String> {
        self.wait_for_string_property("Title", condition, timeout)
            .await
    }

    /// Waits until `IconName` satisfies `condition`, and returns it.
    pub async fn wait_for_icon_name(
        &self,
        condition: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String> {
        self.wait_for_string_property("IconName", condition, timeout)
            .await
    }

    /// Waits until string property `name` satisfies `condition`, and returns it.
    pub async fn wait_for_string_property(
        &self,
        name: &str,
        condition: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String> {
        let last = Mutex::new(None::<String>);
        let what = format!("the tray item's {name} to satisfy the condition");
        let result = poll_until_async(&what, timeout, || async {
            let value = self.string_property(name).await?;
            let done = condition(&value);
            *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(value.clone());
            Ok(done.then_some(value))
        })
        .await;
        let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
        result.with_context(|| format!("last {name}: {last:?}"))
    }

    /// Waits until the menu satisfies `condition`, and returns it. `what` describes the
    /// condition for the timeout message.
    pub async fn wait_for_menu(
        &self,
        what: &str,
        condition: impl Fn(&[MenuEntry]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<MenuEntry>> {
        let last = Mutex::new(None::<Vec<MenuEntry>>);
        let what = format!("the tray menu {what}");
        let result = poll_until_async(&what, timeout, || async {
            let menu = self.menu().await?;
            let done = condition(&menu);
            *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(menu.clone());
            Ok(done.then_some(menu))
        })
        .await;
        let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
        result.with_context(|| match last {
            Some(menu) => format!("the menu was:\n{}", describe_menu(&menu)),
            None => "the menu could not be read".into(),
        })
    }

    /// Waits until a visible entry's label (mnemonics stripped) satisfies `condition`, and
    /// returns the first such entry.
    pub async fn wait_for_menu_label(
        &self,
        condition: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<MenuEntry> {
        let has = |menu: &[MenuEntry]| menu.iter().any(|e| e.visible && condition(&e.label));
        let menu = self
            .wait_for_menu("to have a matching visible entry", has, timeout)
            .await?;
        Ok(menu
            .into_iter()
            .find(|e| e.visible && condition(&e.label))
            .expect("checked above"))
    }
}

/// One line per entry, indented by depth, for messages.
pub fn describe_menu(menu: &[MenuEntry]) -> String {
    menu.iter()
        .map(|e| {
            let mut flags = Vec::new();
            if !e.enabled {
                flags.push("disabled");
            }
            if !e.visible {
                flags.push("hidden");
            }
            match e.checked {
                Some(true) => flags.push("checked"),
                Some(false) => flags.push("unchecked"),
                None => {}
            }
            let label = match e.kind {
                MenuEntryKind::Separator => "----".to_string(),
                MenuEntryKind::Submenu => format!("{:?} >", e.label),
                MenuEntryKind::Standard => format!("{:?}", e.label),
            };
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" ({})", flags.join(", "))
            };
            format!("{}[{}] {label}{flags}", "  ".repeat(e.depth), e.id)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes GTK mnemonic markers: a single `_` goes, `__` becomes `_`.
pub fn strip_mnemonic(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'_') {
                chars.next();
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Unwraps variants holding variants.
pub(crate) fn unwrap_variant<'a, 'b>(value: &'b Variant<'a>) -> &'b Variant<'a> {
    match value {
        Variant::Variant(inner) => unwrap_variant(inner),
        other => other,
    }
}

pub(crate) fn as_string(value: &Variant<'_>) -> Result<String> {
    match unwrap_variant(value) {
        Variant::Str(s) => Ok(s.to_string()),
        Variant::ObjectPath(p) => Ok(p.as_str().to_string()),
        Variant::Signature(s) => Ok(s.to_string()),
        other => bail!(
            "expected a string, got {}: {other}",
            other.value_signature()
        ),
    }
}

fn as_i32(value: &Variant<'_>) -> Result<i32> {
    match unwrap_variant(value) {
        Variant::I32(n) => Ok(*n),
        other => bail!(
            "expected an int32, got {}: {other}",
            other.value_signature()
        ),
    }
}

fn as_bool(value: &Variant<'_>) -> Result<bool> {
    match unwrap_variant(value) {
        Variant::Bool(b) => Ok(*b),
        other => bail!(
            "expected a boolean, got {}: {other}",
            other.value_signature()
        ),
    }
}

fn structure_fields<'b, 'a>(value: &'b Variant<'a>) -> Result<&'b [Variant<'a>]> {
    match unwrap_variant(value) {
        Variant::Structure(s) => Ok(s.fields()),
        other => bail!(
            "expected a structure, got {}: {other}",
            other.value_signature()
        ),
    }
}

fn array_elements<'b, 'a>(value: &'b Variant<'a>) -> Result<&'b [Variant<'a>]> {
    match unwrap_variant(value) {
        Variant::Array(a) => Ok(a.inner()),
        other => bail!(
            "expected an array, got {}: {other}",
            other.value_signature()
        ),
    }
}

fn as_pixmaps(value: &Variant<'_>) -> Result<Vec<Pixmap>> {
    array_elements(value)?
        .iter()
        .map(|pixmap| {
            let fields = structure_fields(pixmap)?;
            let [width, height, data] = fields else {
                bail!("a pixmap is (iiay), got {pixmap}")
            };
            let data = array_elements(data)?
                .iter()
                .map(|b| match b {
                    Variant::U8(b) => Ok(*b),
                    other => bail!("expected a byte, got {other}"),
                })
                .collect::<Result<Vec<u8>>>()?;
            Ok(Pixmap {
                width: as_i32(width)?,
                height: as_i32(height)?,
                data,
            })
        })
        .collect()
}

/// Appends the children of layout node `node` (`(ia{sv}av)`) to `out`, depth first.
fn flatten_layout(
    node: &Variant<'_>,
    depth: usize,
    is_entry: bool,
    out: &mut Vec<MenuEntry>,
) -> Result<()> {
    let fields = structure_fields(node)?;
    let [id, properties, children] = fields else {
        bail!("a layout node is (ia{{sv}}av), got {node}");
    };
    let id = as_i32(id)?;
    let properties = menu_properties(properties)?;
    if is_entry {
        let string = |key: &str| properties.get(key).map(|v| as_string(v)).transpose();
        let boolean = |key: &str| properties.get(key).map(|v| as_bool(v)).transpose();
        let raw_label = string("label")?.unwrap_or_default();
        let kind = if string("type")?.as_deref() == Some("separator") {
            MenuEntryKind::Separator
        } else if string("children-display")?.as_deref() == Some("submenu") {
            MenuEntryKind::Submenu
        } else {
            MenuEntryKind::Standard
        };
        let checked = match string("toggle-type")?.as_deref() {
            Some("checkmark") | Some("radio") => Some(
                properties
                    .get("toggle-state")
                    .map(|v| as_i32(v))
                    .transpose()?
                    .unwrap_or(0)
                    == 1,
            ),
            _ => None,
        };
        out.push(MenuEntry {
            id,
            parent: 0, // set by the caller
            depth: depth - 1,
            label: strip_mnemonic(&raw_label),
            raw_label,
            enabled: boolean("enabled")?.unwrap_or(true),
            visible: boolean("visible")?.unwrap_or(true),
            kind,
            checked,
        });
    }
    for child in array_elements(children)? {
        let first = out.len();
        flatten_layout(child, depth + 1, true, out)
            .with_context(|| format!("in the children of menu entry {id}"))?;
        out[first].parent = id;
    }
    Ok(())
}

fn menu_properties<'b, 'a>(value: &'b Variant<'a>) -> Result<HashMap<String, &'b Variant<'a>>> {
    match unwrap_variant(value) {
        Variant::Dict(dict) => dict
            .iter()
            .map(|(k, v)| Ok((as_string(k)?, v)))
            .collect::<Result<HashMap<_, _>>>(),
        other => bail!("expected a{{sv}}, got {}: {other}", other.value_signature()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_mnemonics() {
        assert_eq!(strip_mnemonic("_Quit"), "Quit");
        assert_eq!(strip_mnemonic("Open _Settings…"), "Open Settings…");
        assert_eq!(strip_mnemonic("snake__case"), "snake_case");
        assert_eq!(strip_mnemonic("plain"), "plain");
    }
}
