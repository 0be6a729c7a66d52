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

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename. The
/// file's permissions are kept. A symlink is resolved so that its target is rewritten and the link
/// stays a link.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
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
    let perms = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".dockopt-")
        .suffix(".tmp")
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
    if let Some(p) = perms {
        std::fs::set_permissions(tmp.path(), p).map_err(|e| io_reason(&e))?;
    }
    tmp.persist(&target)
        .map_err(|e| format!("cannot replace the file: {}", io_reason(&e.error)))?;
    Ok(())
}
