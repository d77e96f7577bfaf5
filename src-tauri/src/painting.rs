//! How WebKitGTK paints the window on Linux. It composites the page with OpenGL; on a machine
//! without a GPU (a virtual machine, a remote desktop, a CI runner) that OpenGL is Mesa's
//! software rasterizer, which spent some 100 ms on every frame of the inventory that WebKit's
//! own painting does in about 10 (`scripts/bench-window`, 100,000 credentials). So where there
//! is no GPU, compositing is switched off; a `WEBKIT_DISABLE_COMPOSITING_MODE` the user set is
//! left as it is.

use std::path::Path;

/// WebKitGTK's switch for painting without OpenGL compositing.
const COMPOSITING_OFF: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Switches compositing off when the machine has no GPU. Call it before any thread starts:
/// it changes the process environment, which WebKit's processes inherit.
pub(crate) fn choose() {
    if std::env::var_os(COMPOSITING_OFF).is_some() || has_gpu(Path::new("/dev/dri")) {
        return;
    }
    tracing::info!("no GPU render node: WebKit paints without OpenGL compositing");
    std::env::set_var(COMPOSITING_OFF, "1");
}

/// Whether `dri` (the DRM device folder) holds a render node, as every GPU driver makes.
fn has_gpu(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu_and_a_card_alone_or_nothing_is_not() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_gpu(&dri.path().join("missing")));
        assert!(!has_gpu(dri.path()));
        std::fs::write(dri.path().join("card0"), "").unwrap();
        assert!(!has_gpu(dri.path()));
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert!(has_gpu(dri.path()));
    }
}
