//! dockopt's own Dockerfile is multi-stage, small and non-root, and dockopt finds nothing to fix in it.

use std::path::Path;
use std::process::Command;

#[test]
fn dockopt_has_nothing_to_fix_in_its_own_dockerfile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for extra in [&[][..], &["--unsafe"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_dockopt"))
            .args(["fix", "--check", "Dockerfile"])
            .args(extra)
            .current_dir(root)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert_eq!(
        text.matches("\nFROM ").count() + usize::from(text.starts_with("FROM ")),
        2
    );
    assert!(text.contains("\nUSER dockopt\n"));
}
