//! File input and atomic output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::walk::io_reason;

/// Largest file dockopt reads (a Dockerfile beyond this is not a Dockerfile).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a Dockerfile, refusing directories, FIFOs, devices and huge files with a clear reason.
pub fn read_dockerfile(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if meta.is_dir() {
        return Err("is a directory".into());
    }
    if !meta.is_file() {
        return Err(
            "not a regular file (a FIFO, socket or device); dockopt reads only files".into(),
        );
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "file is {} bytes; dockopt reads Dockerfiles up to {MAX_BYTES} bytes",
            meta.len()
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| io_reason(&e))?;
    Ok(buf)
}

/// Writes `bytes` to `path` atomically: a temporary file (`.dockopt-XXXXXX.tmp`) in the same
/// directory, flushed to disk, then renamed over the file, so a reader (or a run killed at any point)
/// sees the old or the new file, never a partial one. The file's permissions are kept, and its owner
/// and group when the process may set them. A symlink is resolved so that its target is rewritten and
/// the link stays a link. A file that could not be written in place (no write permission bit,
/// immutable, owned by someone else) is refused rather than replaced behind its owner's back.
///
/// `old` is what dockopt read (`None`: the file did not exist). If the file no longer holds it (an
/// editor or another run changed it meanwhile), it is not overwritten; if it already holds `bytes`
/// (the same file reached through a symlink and its target), there is nothing to do.
pub fn write_atomic(path: &Path, old: Option<&[u8]>, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let target: PathBuf = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| io_reason(&e))?
        }
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let existing = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_reason(&e)),
    };
    if let Some(m) = &existing {
        if !m.is_file() {
            return Err("not a regular file; not written".into());
        }
        // Root may write through permission bits; a file nobody may write is still left alone.
        if m.permissions().readonly() {
            return Err("read-only file (no write permission); not written".into());
        }
        // Renaming only needs the directory to be writable: check the file itself could be written.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .map_err(|e| format!("cannot write: {}", io_reason(&e)))?;
    }
    let now = match &existing {
        Some(_) => Some(std::fs::read(&target).map_err(|e| io_reason(&e))?),
        None => None,
    };
    if now.as_deref() == Some(bytes) {
        return Ok(());
    }
    if now.as_deref() != old {
        return Err(
            "changed on disk since dockopt read it; not written (run dockopt again)".into(),
        );
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&dir)
        .map_err(|e| {
            format!(
                "cannot create a temporary file in {}: {}",
                dir.display(),
                io_reason(&e)
            )
        })?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write: {}", io_reason(&e)))?;
    if let Some(m) = &existing {
        // Keep the owner and group (running as root must not hand a user's file to root). Only
        // root or the owner can do this; otherwise the new file belongs to whoever wrote it.
        let (uid, gid) = (m.uid(), m.gid());
        if let Ok(t) = tmp.as_file().metadata()
            && (t.uid(), t.gid()) != (uid, gid)
        {
            let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(uid), Some(gid));
        }
        // After chown, which can clear set-id bits.
        tmp.as_file()
            .set_permissions(m.permissions())
            .map_err(|e| io_reason(&e))?;
    }
    tmp.persist(&target)
        .map_err(|e| format!("cannot replace the file: {}", io_reason(&e.error)))?;
    Ok(())
}

/// The name of a temporary file [`write_atomic`] creates: `.dockopt-` + random + `.tmp`. A run
/// killed while writing can leave one behind.
pub const TEMP_PREFIX: &str = ".dockopt-";
pub const TEMP_SUFFIX: &str = ".tmp";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("Dockerfile");
        std::fs::write(&p, "FROM a\n").unwrap();
        // Someone edits the file between dockopt's read and its write.
        std::fs::write(&p, "FROM b\n").unwrap();
        let e = write_atomic(&p, Some(b"FROM a\n"), b"FROM c\n").unwrap_err();
        assert!(e.starts_with("changed on disk"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"FROM b\n");
        // A side file that appeared meanwhile is not overwritten either.
        let side = d.path().join(".dockerignore");
        std::fs::write(&side, "x\n").unwrap();
        assert!(write_atomic(&side, None, b"y\n").is_err());
        assert_eq!(std::fs::read(&side).unwrap(), b"x\n");
        // Unchanged since the read: written.
        write_atomic(&p, Some(b"FROM b\n"), b"FROM c\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"FROM c\n");
        // Already holding the rewrite (written through another path): fine, nothing to do.
        write_atomic(&p, Some(b"FROM b\n"), b"FROM c\n").unwrap();
        // A new file.
        write_atomic(&d.path().join("new"), None, b"n\n").unwrap();
        assert_eq!(std::fs::read(d.path().join("new")).unwrap(), b"n\n");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temp file left: {names:?}");
    }
}
