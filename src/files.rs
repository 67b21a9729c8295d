//! Files certctl writes whole: a reader (a script waiting for the sandbox's profile,
//! a reviewer opening a plan, a metrics collector) sees no file or all of it, never
//! a partial one, and the file has its mode (0600 for anything private) from its
//! first byte.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` with mode 0600 so that a reader sees either no file or
/// the whole of it: written to a temporary file in the same directory, then renamed
/// over `path`.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_whole_with_mode(path, bytes, 0o600)
}

/// [`write_whole`] with another mode, set whatever the umask says (the metrics file
/// is 0644: a collector running as another user must read it).
pub fn write_whole_with_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode & 0o600);
    }
    let written = options
        .open(&temp)
        .and_then(|mut file| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            }
            file.write_all(bytes).and_then(|()| file.sync_all())
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
