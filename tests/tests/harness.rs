//! Self-tests of the end-to-end harness: the desktop, the SNI host and the X11 helpers, without
//! ccpulse itself.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ccpulse_tests::process::live_processes_in_group;
use ccpulse_tests::sni::{WATCHER_NAME, WATCHER_PATH};
use ccpulse_tests::{Desktop, MenuEntryKind, SniHost};
use zbus::{OwnedObjectPath, OwnedVariant, Variant};

const TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn desktop_receives_a_notification_once_and_cleans_up() -> Result<()> {
    let desktop = Desktop::new()?;

    // The private dirs and environment.
    let runtime_mode = std::fs::metadata(desktop.runtime_dir())?
        .permissions()
        .mode();
    assert_eq!(
        runtime_mode & 0o777,
        0o700,
        "XDG_RUNTIME_DIR must be private"
    );
    let env: HashMap<String, String> = desktop.env().into_iter().collect();
    for key in [
        "DISPLAY",
        "DBUS_SESSION_BUS_ADDRESS",
        "HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
    ] {
        assert!(env.contains_key(key), "env() lacks {key}");
    }
    assert_eq!(env["NO_AT_BRIDGE"], "1");
    let out = desktop
        .command("sh")
        .args(["-c", "echo $HOME; echo $DISPLAY"])
        .output()?;
    let printed = String::from_utf8(out.stdout)?;
    assert_eq!(
        printed,
        format!("{}\n{}\n", desktop.home().display(), desktop.display())
    );

    let status = desktop
        .command("notify-send")
        .args(["-a", "demo", "hello", "world"])
        .status()
        .context("running notify-send (package libnotify-bin)")?;
    ensure!(status.success(), "notify-send failed: {status}");

    let first = desktop.wait_for_notifications(1, TIMEOUT)?;
    assert_eq!(first[0].summary, "hello");
    // Exactly once: nothing else shows up.
    let all = desktop.notifications_after_quiet(Duration::from_millis(500), TIMEOUT)?;
    assert_eq!(all.len(), 1, "{all:#?}");
    let n = &all[0];
    assert_eq!(
        (n.summary.as_str(), n.body.as_str(), n.appname.as_str()),
        ("hello", "world", "demo")
    );
    // Both ways of reading the history agree.
    assert_eq!(desktop.history_over_dbus()?, all);

    // A timeout names what it waited for.
    let err = desktop
        .wait_for_notifications(2, Duration::from_millis(300))
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("waiting for 2 notification(s)") && msg.contains("hello"),
        "{msg}"
    );

    // Drop kills everything the desktop started, and removes its files.
    let pids = desktop.service_pids();
    assert_eq!(pids.len(), 3);
    let root = desktop.root().to_path_buf();
    drop(desktop);
    for pid in pids {
        assert!(
            live_processes_in_group(pid).is_empty(),
            "process group {pid} outlived the desktop"
        );
    }
    assert!(std::env::var_os(ccpulse_tests::desktop::KEEP_ENV).is_some() || !root.exists());
    Ok(())
}

/// A stand-in for what libayatana-appindicator serves: an item and its dbusmenu.
struct FakeItem {
    title: Arc<Mutex<String>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierItem")]
impl FakeItem {
    #[zbus(property)]
    fn title(&self) -> String {
        self.title.lock().unwrap().clone()
    }

    #[zbus(property)]
    fn status(&self) -> String {
        "Active".into()
    }

    #[zbus(property)]
    fn icon_name(&self) -> String {
        "ccpulse-ok".into()
    }

    #[zbus(property)]
    fn menu(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from("/MenuBar").unwrap()
    }
}

struct FakeMenu {
    clicks: Arc<Mutex<Vec<(i32, String)>>>,
}

fn menu_node(id: i32, properties: Vec<(&str, Variant<'static>)>) -> OwnedVariant {
    let properties: HashMap<String, OwnedVariant> = properties
        .into_iter()
        .map(|(k, v)| (k.to_string(), OwnedVariant::try_from(v).unwrap()))
        .collect();
    let children: Vec<OwnedVariant> = Vec::new();
    OwnedVariant::try_from(Variant::from((id, properties, children))).unwrap()
}

type Layout = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);

#[zbus::interface(name = "com.canonical.dbusmenu")]
impl FakeMenu {
    #[zbus(out_args("revision", "layout"))]
    fn get_layout(
        &self,
        _parent_id: i32,
        _recursion_depth: i32,
        _property_names: Vec<String>,
    ) -> (u32, Layout) {
        let children = vec![
            menu_node(1, vec![("label", Variant::from("Open _Settings"))]),
            menu_node(
                2,
                vec![
                    ("label", Variant::from("_Quit")),
                    ("enabled", Variant::from(true)),
                ],
            ),
        ];
        let root = HashMap::from([(
            "children-display".to_string(),
            OwnedVariant::try_from(Variant::from("submenu")).unwrap(),
        )]);
        (7, (0, root, children))
    }

    fn event(&self, id: i32, event_id: String, _data: OwnedVariant, _timestamp: u32) {
        self.clicks.lock().unwrap().push((id, event_id));
    }
}

// A current-thread runtime: the host must not depend on the test's runtime to answer.
#[tokio::test]
async fn sni_host_sees_a_registered_item_and_drives_its_menu() -> Result<()> {
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    assert!(desktop.name_has_owner(WATCHER_NAME)?);

    let title = Arc::new(Mutex::new("demo".to_string()));
    let clicks = Arc::new(Mutex::new(Vec::new()));
    let item_path = "/org/ayatana/NotificationItem/demo";
    let app = zbus::connection::Builder::address(desktop.bus_address())
        .serve_at(
            item_path,
            FakeItem {
                title: title.clone(),
            },
        )
        .serve_at(
            "/MenuBar",
            FakeMenu {
                clicks: clicks.clone(),
            },
        )
        .build()
        .await?;

    // Registered by object path, as libayatana-appindicator does.
    let before = Instant::now();
    app.call_method(
        Some(WATCHER_NAME),
        WATCHER_PATH,
        Some(WATCHER_NAME),
        "RegisterStatusNotifierItem",
        &(item_path,),
    )
    .await?;
    let item = host.wait_for_item(TIMEOUT).await?;
    assert_eq!(item.service(), app.unique_name().unwrap().as_str());
    assert_eq!(item.path(), item_path);
    assert!(
        item.registered_at() >= before
            && item.registered_at() - before < Duration::from_millis(500)
    );

    assert_eq!(item.title().await?, "demo");
    assert_eq!(item.status().await?, "Active");
    assert_eq!(item.icon_name().await?, "ccpulse-ok");
    assert_eq!(item.menu_path().await?, "/MenuBar");
    assert_eq!(item.tooltip().await?, None, "the fake has no ToolTip");

    let menu = item.menu().await?;
    let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["Open Settings", "Quit"]);
    assert_eq!(menu[1].raw_label, "_Quit");
    assert!(menu
        .iter()
        .all(|e| e.enabled && e.visible && e.kind == MenuEntryKind::Standard));
    assert_eq!((menu[0].parent, menu[0].depth), (0, 0));

    let quit = item.wait_for_menu_label(|l| l == "Quit", TIMEOUT).await?;
    item.click(quit.id).await?;
    item.click_label("Open Settings").await?;
    assert_eq!(
        *clicks.lock().unwrap(),
        [(2, "clicked".to_string()), (1, "clicked".to_string())]
    );

    // Properties are read fresh.
    *title.lock().unwrap() = "demo: 42%".into();
    assert_eq!(
        item.wait_for_title(|t| t.contains("42%"), TIMEOUT).await?,
        "demo: 42%"
    );
    let err = item
        .wait_for_title(|t| t == "never", Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("last Title: Some(\"demo: 42%\")"),
        "{err:#}"
    );

    // The watcher's own properties.
    let watcher = zbus::fdo::PropertiesProxy::builder(&app)
        .destination(WATCHER_NAME)
        .path(WATCHER_PATH)
        .build()
        .await?;
    let iface = zbus::names::InterfaceName::try_from(WATCHER_NAME)?;
    let items = watcher
        .get(iface.clone(), "RegisteredStatusNotifierItems")
        .await?;
    assert_eq!(
        Vec::<String>::try_from(items)?,
        [format!("{}{item_path}", item.service())]
    );
    let registered = watcher
        .get(iface.clone(), "IsStatusNotifierHostRegistered")
        .await?;
    assert!(bool::try_from(registered)?);
    assert_eq!(
        i32::try_from(watcher.get(iface, "ProtocolVersion").await?)?,
        0
    );

    // Registered by bus name: the path is the default one.
    let by_name = zbus::connection::Builder::address(desktop.bus_address())
        .name("org.kde.StatusNotifierItem-4242-1")
        .serve_at(
            "/StatusNotifierItem",
            FakeItem {
                title: Arc::new(Mutex::new("second".into())),
            },
        )
        .build()
        .await?;
    by_name
        .call_method(
            Some(WATCHER_NAME),
            WATCHER_PATH,
            Some(WATCHER_NAME),
            "RegisterStatusNotifierItem",
            &("org.kde.StatusNotifierItem-4242-1",),
        )
        .await?;
    let items = host.wait_for_items(2, TIMEOUT).await?;
    assert_eq!(items[1].service(), "org.kde.StatusNotifierItem-4242-1");
    assert_eq!(items[1].path(), "/StatusNotifierItem");
    assert_eq!(items[1].title().await?, "second");

    // An item whose connection leaves the bus is unregistered (the proxy holds the connection
    // too).
    drop(watcher);
    drop(app);
    host.wait_for_item_gone(&item, TIMEOUT).await?;
    assert_eq!(host.items().len(), 1);
    Ok(())
}

#[test]
fn x11_finds_closes_and_screenshots_a_window() -> Result<()> {
    let desktop = Desktop::new()?;
    let mut xmessage = desktop.spawn("xmessage", {
        let mut cmd = desktop.command("xmessage");
        cmd.args(["-title", "ccpulse-harness", "hello"]);
        cmd
    })?;
    let window = desktop.wait_for_window("ccpulse-harness", TIMEOUT)?;
    let info = desktop
        .x11()?
        .window_info(window)?
        .context("the window vanished")?;
    assert!(info.viewable && info.title == "ccpulse-harness", "{info:?}");

    let screen = desktop.root().join("screen.png");
    desktop.screenshot(&screen)?;
    assert_eq!(identify(&screen)?, "PNG 1280 800");
    let shot = desktop.root().join("window.png");
    desktop.screenshot_window(window, &shot)?;
    assert_eq!(
        identify(&shot)?,
        format!("PNG {} {}", info.width, info.height)
    );

    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, TIMEOUT)?;
    assert!(desktop.window_gone(window)?);
    xmessage.wait_for_exit(TIMEOUT)?;

    let err = desktop
        .wait_for_window("no such window", Duration::from_millis(200))
        .unwrap_err();
    assert!(format!("{err:#}").contains("no such window"), "{err:#}");
    Ok(())
}

/// `identify`'s "format width height" of an image.
fn identify(path: &std::path::Path) -> Result<String> {
    let out = Command::new("identify")
        .args(["-format", "%m %w %h"])
        .arg(path)
        .output()?;
    ensure!(
        out.status.success(),
        "identify failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}
