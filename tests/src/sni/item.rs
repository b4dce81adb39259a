//! [`Item`]: the client side of a registered StatusNotifierItem (its properties, icon and
//! tooltip) and of its dbusmenu (read the menu, click entries), with [`Pixmap`] and [`ToolTip`].

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use zbus::{Connection, OwnedVariant, Structure, Variant};

use super::menu::{describe_menu, flatten_layout, MenuEntry, MenuEntryKind};
use super::{Registration, ITEM_INTERFACE, MENU_INTERFACE};
use crate::variant::{array_elements, as_i32, as_string, structure_fields};
use crate::wait::poll_until_async;

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

/// A registered StatusNotifierItem, read fresh from the bus on each call.
#[derive(Clone)]
pub struct Item {
    pub(super) conn: Connection,
    pub(super) registration: Registration,
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

    /// Pixels of the icon (SNI pixmaps are ARGB32, big-endian) within 24 of `rgb`.
    pub async fn icon_pixels_near(&self, rgb: [u8; 3]) -> Result<usize> {
        let pixmaps = self.icon_pixmaps().await?.context("no IconPixmap")?;
        let icon = pixmaps.first().context("empty IconPixmap")?;
        Ok(icon
            .data
            .chunks(4)
            .filter(|p| p[0] > 200 && (0..3).all(|i| p[i + 1].abs_diff(rgb[i]) <= 24))
            .count())
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
