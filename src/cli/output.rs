//! Where commands' output goes: standard output, whose first write error is
//! kept and reported once; and files, replaced whole or not at all.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Standard output that keeps its first write error. Commands write with
/// `let _ = write!(…)`; [`run`](super::run) flushes at the end and reports
/// the error once. After an error every write fails at once, so a command
/// that loops on its output stops.
pub(crate) struct Checked<'a> {
    inner: &'a mut dyn Write,
    error: Option<io::Error>,
}

impl<'a> Checked<'a> {
    pub(crate) fn new(inner: &'a mut dyn Write) -> Self {
        Checked { inner, error: None }
    }

    /// Flushes, then gives the first error met, if any.
    pub(crate) fn finish(mut self) -> Option<io::Error> {
        let _ = self.flush();
        self.error
    }

    fn keep<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            // An interrupted write is retried by `write_all`; not an error.
            if e.kind() != io::ErrorKind::Interrupted {
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }

    fn failed(&self) -> Option<io::Error> {
        self.error
            .as_ref()
            .map(|e| io::Error::new(e.kind(), "standard output failed before"))
    }
}

impl Write for Checked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = self.failed() {
            return Err(e);
        }
        let result = self.inner.write(buf);
        self.keep(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = self.failed() {
            return Err(e);
        }
        let result = self.inner.flush();
        self.keep(result)
    }
}

/// Most symbolic links followed to find the file to replace (as Linux's 40).
const MAX_LINKS: usize = 40;

/// Replaces the file at `path` with `bytes` so that a failure at any point
/// (a full disk, a crash) leaves the old content whole: the new content is
/// written to a temporary file in the same directory, flushed to the disk,
/// then renamed over the target. A symbolic link is written through (the
/// file it names is replaced, the link stays); the target's permissions are
/// kept, and its owner where the user may set it. A hard link is broken:
/// the file's other names keep the old content.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = follow_links(path)?;
    let old = match std::fs::metadata(&target) {
        Ok(meta) => {
            crate::syntax::regular(&meta)?;
            // The rename would replace a file the user may not write (a
            // read-only file in a writable directory): ask as a write
            // would, without changing a byte.
            std::fs::OpenOptions::new().write(true).open(&target)?;
            Some(meta)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temp(dir, &name, old.as_ref())?;
    let written = (|| {
        if let Some(meta) = &old {
            keep_owner_and_mode(&file, meta)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    // The rename is on the disk once the directory is (best effort: not
    // every system can open a directory to flush it).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file `path` names once its symbolic links are followed (a link to a
/// file not yet there names where it will be).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// A new file `.NAME.rolecall-PID-N.tmp` in `dir`, created exclusively, with
/// no more permissions than the file it will replace.
fn create_temp(
    dir: &Path,
    name: &str,
    old: Option<&std::fs::Metadata>,
) -> io::Result<(PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if let Some(meta) = old {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(meta.permissions().mode() & 0o777);
    }
    #[cfg(not(unix))]
    let _ = old;
    let mut last = None;
    for n in 0..100 {
        let temp = dir.join(format!(".{name}.rolecall-{}-{n}.tmp", std::process::id()));
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file name left")))
}

/// Gives the new file the old one's permissions (exactly, whatever the
/// umask) and owner (when allowed: only root may give a file away).
fn keep_owner_and_mode(file: &std::fs::File, old: &std::fs::Metadata) -> io::Result<()> {
    file.set_permissions(old.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = file.metadata()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            // Not allowed for an ordinary user; the file is then theirs.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        }
    }
    Ok(())
}
