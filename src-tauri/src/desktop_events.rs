//! What the Linux desktop says on D-Bus that locks the vault, beside the idle time (as
//! KeePassXC does): the screensaver's `ActiveChanged(true)` on the session bus (freedesktop's
//! interface, and GNOME's, MATE's and Cinnamon's of the same shape), and logind's
//! `PrepareForSleep(true)` on the system bus. Each watcher runs for the app's lifetime; a bus
//! that is not there (no system bus in a container, say) is logged once and left alone.

use futures_util::StreamExt;
use tauri::AppHandle;
use zbus::message::Type;
use zbus::{Connection, MatchRule, MessageStream};

use crate::locking::lock_if;
use crate::models::LockReason;
use crate::state::DesktopEvent;

/// Starts both watchers.
pub fn watch(app: &AppHandle) {
    let screen = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(error) = watch_screensaver(&screen).await {
            tracing::warn!(%error, "not watching the screen lock");
        }
    });
    let sleep = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(error) = watch_sleep(&sleep).await {
            tracing::warn!(%error, "not watching for sleep");
        }
    });
}

/// Whether a signal's interface is a screensaver's (`org.freedesktop.ScreenSaver`,
/// `org.gnome.ScreenSaver`, …).
fn is_screensaver(interface: &str) -> bool {
    interface.ends_with(".ScreenSaver")
}

async fn watch_screensaver(app: &AppHandle) -> zbus::Result<()> {
    let bus = Connection::session().await?;
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .member("ActiveChanged")
        .build()?;
    let mut signals = MessageStream::for_match_rule(rule, &bus, None).await?;
    tracing::info!("watching the screen lock");
    while let Some(message) = signals.next().await {
        let message = message?;
        let header = message.header();
        let from_screensaver = header
            .interface()
            .is_some_and(|interface| is_screensaver(interface.as_str()));
        if from_screensaver && message.body().deserialize::<bool>().unwrap_or(false) {
            locks(app, DesktopEvent::ScreenLocked).await;
        }
    }
    Ok(())
}

async fn watch_sleep(app: &AppHandle) -> zbus::Result<()> {
    let bus = Connection::system().await?;
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface("org.freedesktop.login1.Manager")
        .member("PrepareForSleep")
        .build()?;
    let mut signals = MessageStream::for_match_rule(rule, &bus, None).await?;
    tracing::info!("watching for sleep");
    while let Some(message) = signals.next().await {
        if message?.body().deserialize::<bool>().unwrap_or(false) {
            locks(app, DesktopEvent::Sleeping).await;
        }
    }
    Ok(())
}

async fn locks(app: &AppHandle, event: DesktopEvent) {
    let reason = match event {
        DesktopEvent::ScreenLocked => LockReason::ScreenLocked,
        DesktopEvent::Sleeping => LockReason::Sleeping,
    };
    lock_if(app, move |session| session.locks_on(event), reason).await;
}

#[cfg(test)]
mod tests {
    use super::is_screensaver;

    #[test]
    fn the_screensavers_of_each_desktop_are_recognised() {
        for interface in [
            "org.freedesktop.ScreenSaver",
            "org.gnome.ScreenSaver",
            "org.mate.ScreenSaver",
            "org.cinnamon.ScreenSaver",
        ] {
            assert!(is_screensaver(interface), "{interface}");
        }
        assert!(!is_screensaver("org.freedesktop.Notifications"));
    }
}
