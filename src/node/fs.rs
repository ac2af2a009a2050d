//! The client side of ACP's `fs/read_text_file` and `fs/write_text_file`, confined to a
//! session's working directory (the *root*).
//!
//! This module owns every filesystem access an agent can cause. Resolution and opening are a
//! single step: nothing is ever checked by path and then opened by path again.
//!
//! Guarantees:
//!
//! - The root is opened once per request as a directory fd (symlinks in the root path itself are
//!   followed: the user chose it). Every other path is resolved relative to that fd.
//! - A requested path may be relative (to the root) or absolute; an absolute path is accepted
//!   only if it lies under the root as given or under its canonical form, and that prefix is
//!   stripped. Any `..` component is refused outright.
//! - Opening uses `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`: relative symlinks
//!   that stay inside the root work, anything that would leave it (including every absolute
//!   symlink, and `/proc` magic links) fails and is reported as outside the working directory.
//!   On kernels without `openat2` (`ENOSYS`) each component is opened with `openat` and
//!   `O_NOFOLLOW` instead, so symlinks are then refused entirely.
//! - Every file is opened `O_NONBLOCK | O_CLOEXEC | O_NOCTTY` and `fstat`ed through its fd;
//!   anything that is not a regular file (directory, FIFO, socket, device) is refused and
//!   named. A FIFO never blocks: the read-open returns at once, and a write-open without a
//!   reader fails with `ENXIO`, which is reported the same way.
//! - A write never follows a symlink as the final component (a dangling symlink cannot create
//!   a file anywhere). Missing parent directories are created one component at a time, each
//!   with `mkdirat` on an fd already beneath the root. The file is opened without `O_TRUNC`
//!   and truncated only once it is known to be a regular file.
//! - A read holds at most [`MAX_READ_BYTES`] plus one buffer in memory. A whole-file read of
//!   a larger file is refused; with `line`/`limit` the file is streamed and refused only if
//!   the requested lines exceed the cap. Content that is not UTF-8 is refused.
//! - Error messages name the path as the agent requested it, never a resolved path.
//!
//! Not covered: hard links (a hard link inside the root to a file elsewhere is, to the kernel,
//! a file inside the root), and concurrent renames of directories out of the root by other
//! processes while a request is in flight.

use crate::protocol::jsonrpc::codes;
use crate::protocol::RpcError;
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use serde_json::{json, Map, Value};
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The most bytes a single `fs/read_text_file` returns (and holds in memory, plus one buffer).
pub const MAX_READ_BYTES: u64 = 8 * 1024 * 1024;

/// Buffer size for streaming `line`/`limit` reads.
const READ_BUFFER: usize = 64 * 1024;

/// How often an `openat2` that reports a concurrent rename/mount (`EAGAIN`) is retried.
const OPENAT2_RETRIES: usize = 32;

/// Set once `openat2` has returned `ENOSYS`; from then on the `openat` walk is used directly.
static OPENAT2_MISSING: AtomicBool = AtomicBool::new(false);

/// Serves `fs/read_text_file` params within `root`.
pub fn read_text_file(root: &Path, params: &Value) -> Result<Value, RpcError> {
    let params = object(params)?;
    let path = path_param(params)?;
    let line = u64_param(params, "line")?;
    let limit = u64_param(params, "limit")?;
    let comps = relative_components(root, &path)?;
    let root_fd = open_root(root)?;
    let dir = root_fd.as_fd();
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = open_beneath(dir, &comps, flags, Mode::empty())
        .map_err(|e| open_error(&path, root, dir, &comps, e, Target::Read))?;
    let size = ensure_regular(&fd, &path)?;
    let file = File::from(fd);

    let line = line.unwrap_or(1).max(1);
    let bytes = if line == 1 && limit.is_none() {
        if size > MAX_READ_BYTES {
            return Err(too_large(&path, size));
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&file)
            .take(MAX_READ_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| read_failed(&path, e))?;
        if buf.len() as u64 > MAX_READ_BYTES {
            // The file grew between fstat and read.
            return Err(too_large(&path, buf.len() as u64));
        }
        buf
    } else {
        let reader = BufReader::with_capacity(READ_BUFFER, &file);
        read_lines(reader, line - 1, limit, MAX_READ_BYTES).map_err(|e| match e {
            LinesError::Io(e) => read_failed(&path, e),
            LinesError::TooLarge => refused(
                &path,
                format_args!(
                    "the requested lines exceed the read cap of {MAX_READ_BYTES} bytes; \
                     ask for fewer lines with `limit`"
                ),
            ),
        })?
    };
    let content = String::from_utf8(bytes)
        .map_err(|_| refused(&path, "the content is not valid UTF-8 text"))?;
    Ok(json!({ "content": content }))
}

/// Serves `fs/write_text_file` params within `root` (missing parent directories are created).
pub fn write_text_file(root: &Path, params: &Value) -> Result<Value, RpcError> {
    let params = object(params)?;
    let path = path_param(params)?;
    let content = params
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("missing `content` (a string)"))?;
    let comps = relative_components(root, &path)?;
    let Some((name, parents)) = comps.split_last() else {
        return Err(not_regular(&path, "the working directory itself"));
    };
    let root_fd = open_root(root)?;
    let parent = open_parents_creating(root_fd.as_fd(), parents)
        .map_err(|e| open_error(&path, root, root_fd.as_fd(), parents, e, Target::Dir))?;
    let dir = parent.as_ref().map_or(root_fd.as_fd(), |fd| fd.as_fd());
    let last = std::slice::from_ref(name);
    let flags = OFlags::WRONLY
        | OFlags::CREATE
        | OFlags::NONBLOCK
        | OFlags::CLOEXEC
        | OFlags::NOCTTY
        | OFlags::NOFOLLOW;
    let fd = open_beneath(dir, last, flags, Mode::from_raw_mode(0o644))
        .map_err(|e| open_error(&path, root, dir, last, e, Target::WriteFinal))?;
    ensure_regular(&fd, &path)?;
    let write_failed =
        |e: std::io::Error| RpcError::internal(format!("cannot write {}: {e}", path.display()));
    rustix::fs::ftruncate(&fd, 0).map_err(|e| write_failed(e.into()))?;
    File::from(fd)
        .write_all(content.as_bytes())
        .map_err(write_failed)?;
    Ok(json!({}))
}

fn object(params: &Value) -> Result<&Map<String, Value>, RpcError> {
    params
        .as_object()
        .ok_or_else(|| RpcError::invalid_params("params must be an object"))
}

fn path_param(params: &Map<String, Value>) -> Result<PathBuf, RpcError> {
    params
        .get("path")
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| RpcError::invalid_params("missing `path` (a string)"))
}

/// An optional non-negative integer parameter (`null` counts as absent).
fn u64_param(params: &Map<String, Value>, key: &str) -> Result<Option<u64>, RpcError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            RpcError::invalid_params(format!("`{key}` must be a non-negative integer"))
        }),
    }
}

/// A refusal: the request is well-formed but will not be served.
fn refused(requested: &Path, why: impl fmt::Display) -> RpcError {
    RpcError::new(
        codes::INVALID_PARAMS,
        format!("refused {}: {why}", requested.display()),
    )
}

fn outside(requested: &Path, root: &Path) -> RpcError {
    refused(
        requested,
        format_args!("outside the session's working directory {}", root.display()),
    )
}

fn not_regular(requested: &Path, kind: &str) -> RpcError {
    refused(requested, format_args!("is {kind}, not a regular file"))
}

fn too_large(requested: &Path, size: u64) -> RpcError {
    refused(
        requested,
        format_args!(
            "the file is {size} bytes, larger than the read cap of {MAX_READ_BYTES} bytes; \
             pass `line`/`limit` to read part of it"
        ),
    )
}

fn read_failed(requested: &Path, e: std::io::Error) -> RpcError {
    RpcError::internal(format!("cannot read {}: {e}", requested.display()))
}

/// The components of `requested` relative to `root`: only normal names (never `..`, `/`).
fn relative_components(root: &Path, requested: &Path) -> Result<Vec<OsString>, RpcError> {
    if requested.components().any(|c| c == Component::ParentDir) {
        return Err(refused(requested, "`..` is not allowed"));
    }
    let canonical;
    let rel = if requested.is_absolute() {
        match requested.strip_prefix(root) {
            Ok(rel) => rel,
            Err(_) => {
                canonical = root.canonicalize().ok();
                canonical
                    .as_deref()
                    .and_then(|c| requested.strip_prefix(c).ok())
                    .ok_or_else(|| outside(requested, root))?
            }
        }
    } else {
        requested
    };
    let mut comps = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(name) => comps.push(name.to_owned()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => {
                return Err(outside(requested, root));
            }
        }
    }
    Ok(comps)
}

/// Opens the session's working directory (following symlinks in its own path).
fn open_root(root: &Path) -> Result<OwnedFd, RpcError> {
    rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        RpcError::internal(format!(
            "working directory {} is not usable: {}",
            root.display(),
            std::io::Error::from(e)
        ))
    })
}

/// Opens `comps` (normal names; empty means `dir` itself) beneath `dir`, never escaping it.
fn open_beneath(
    dir: BorrowedFd<'_>,
    comps: &[OsString],
    flags: OFlags,
    mode: Mode,
) -> Result<OwnedFd, Errno> {
    if OPENAT2_MISSING.load(Ordering::Relaxed) {
        return open_walk(dir, comps, flags, mode);
    }
    let rel: PathBuf = if comps.is_empty() {
        PathBuf::from(".")
    } else {
        comps.iter().collect()
    };
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(dir, &rel, flags, mode, resolve) {
            Err(Errno::NOSYS) => {
                OPENAT2_MISSING.store(true, Ordering::Relaxed);
                return open_walk(dir, comps, flags, mode);
            }
            // A concurrent rename or mount made the kernel abandon the lookup; try again.
            Err(Errno::AGAIN | Errno::INTR) if tries < OPENAT2_RETRIES => tries += 1,
            result => return result,
        }
    }
}

/// The fallback for kernels without `openat2`: one `openat` per component, never following a
/// symlink (so symlinks are refused entirely).
fn open_walk(
    dir: BorrowedFd<'_>,
    comps: &[OsString],
    flags: OFlags,
    mode: Mode,
) -> Result<OwnedFd, Errno> {
    let Some((last, parents)) = comps.split_last() else {
        return rustix::fs::openat(dir, ".", flags, mode);
    };
    let mut cur: Option<OwnedFd> = None;
    for comp in parents {
        let here = cur.as_ref().map_or(dir, |fd| fd.as_fd());
        let next = rustix::fs::openat(
            here,
            comp,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        cur = Some(next);
    }
    let here = cur.as_ref().map_or(dir, |fd| fd.as_fd());
    rustix::fs::openat(here, last, flags | OFlags::NOFOLLOW, mode)
}

/// Opens the directory `parents` beneath `root`, creating missing components one at a time.
/// Returns `None` when `parents` is empty (the root itself).
fn open_parents_creating(
    root: BorrowedFd<'_>,
    parents: &[OsString],
) -> Result<Option<OwnedFd>, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut cur: Option<OwnedFd> = None;
    for (i, comp) in parents.iter().enumerate() {
        // Resolved from the root, so symlinks that leave and re-enter a directory still work.
        let next = match open_beneath(root, &parents[..=i], flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                let here = cur.as_ref().map_or(root, |fd| fd.as_fd());
                match rustix::fs::mkdirat(here, comp, Mode::from_raw_mode(0o755)) {
                    // EEXIST: created concurrently, or a (dangling) symlink; the open decides.
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e),
                }
                open_beneath(here, std::slice::from_ref(comp), flags, Mode::empty())?
            }
            Err(e) => return Err(e),
        };
        cur = Some(next);
    }
    Ok(cur)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The file of a read.
    Read,
    /// A parent directory of a write.
    Dir,
    /// The file of a write (its final component is never followed).
    WriteFinal,
}

/// Turns an open failure into the agent-facing error.
fn open_error(
    requested: &Path,
    root: &Path,
    dir: BorrowedFd<'_>,
    comps: &[OsString],
    e: Errno,
    target: Target,
) -> RpcError {
    let no_openat2 = OPENAT2_MISSING.load(Ordering::Relaxed);
    match e {
        Errno::NOENT => RpcError::not_found(format!(
            "{}: no such file or directory",
            requested.display()
        )),
        Errno::XDEV => outside(requested, root),
        Errno::LOOP if target == Target::WriteFinal => refused(
            requested,
            "is a symbolic link; a write never follows a symlink as the final component",
        ),
        Errno::LOOP if no_openat2 => refused(
            requested,
            "symbolic links are not followed (this kernel lacks openat2)",
        ),
        Errno::LOOP => refused(requested, "too many levels of symbolic links"),
        Errno::NOTDIR if no_openat2 => refused(
            requested,
            "a parent is not a directory, or is a symbolic link (not followed: this kernel \
             lacks openat2)",
        ),
        Errno::NOTDIR => refused(requested, "a parent component is not a directory"),
        Errno::ISDIR => not_regular(requested, "a directory"),
        // A FIFO without a reader (write-open) or a unix socket.
        Errno::NXIO => {
            let nofollow = if target == Target::WriteFinal {
                OFlags::NOFOLLOW
            } else {
                OFlags::empty()
            };
            let kind = open_beneath(
                dir,
                comps,
                OFlags::PATH | OFlags::CLOEXEC | nofollow,
                Mode::empty(),
            )
            .ok()
            .and_then(|fd| rustix::fs::fstat(&fd).ok())
            .map(|st| kind_name(FileType::from_raw_mode(st.st_mode)))
            .filter(|kind| *kind != "a regular file")
            .unwrap_or("a FIFO or socket");
            not_regular(requested, kind)
        }
        Errno::INVAL | Errno::NAMETOOLONG => refused(
            requested,
            format_args!("not a usable path: {}", std::io::Error::from(e)),
        ),
        _ => RpcError::internal(format!(
            "cannot open {}: {}",
            requested.display(),
            std::io::Error::from(e)
        )),
    }
}

/// `fstat`s an open file and refuses anything but a regular file; returns its size.
fn ensure_regular(fd: &OwnedFd, requested: &Path) -> Result<u64, RpcError> {
    let st = rustix::fs::fstat(fd).map_err(|e| {
        RpcError::internal(format!(
            "cannot stat {}: {}",
            requested.display(),
            std::io::Error::from(e)
        ))
    })?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(u64::try_from(st.st_size).unwrap_or(0)),
        other => Err(not_regular(requested, kind_name(other))),
    }
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        _ => "of an unknown kind",
    }
}

#[derive(Debug)]
enum LinesError {
    Io(std::io::Error),
    TooLarge,
}

/// Skips `skip` lines, then collects at most `limit` lines (all, if `None`), each including
/// its `\n`. Never holds more than `cap` bytes plus the reader's buffer.
fn read_lines<R: BufRead>(
    mut reader: R,
    skip: u64,
    limit: Option<u64>,
    cap: u64,
) -> Result<Vec<u8>, LinesError> {
    let mut to_skip = skip;
    let mut out = Vec::new();
    let mut remaining = limit;
    while remaining != Some(0) {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LinesError::Io(e)),
        };
        if buf.is_empty() {
            break;
        }
        let (take, line_ends) = match buf.iter().position(|&b| b == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (buf.len(), false),
        };
        if to_skip > 0 {
            if line_ends {
                to_skip -= 1;
            }
        } else {
            if (out.len() + take) as u64 > cap {
                return Err(LinesError::TooLarge);
            }
            out.extend_from_slice(&buf[..take]);
            if line_ends {
                if let Some(n) = remaining.as_mut() {
                    *n -= 1;
                }
            }
        }
        reader.consume(take);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    const HANG_GUARD: Duration = Duration::from_secs(10);

    fn message(r: Result<Value, RpcError>) -> String {
        r.unwrap_err().message
    }

    fn refusal(r: Result<Value, RpcError>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code, codes::INVALID_PARAMS, "{}", e.message);
        e.message
    }

    /// Runs `f` in a thread; fails the test if it has not returned within the hang guard.
    fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(HANG_GUARD)
            .expect("the call did not return: it blocked")
    }

    #[test]
    fn confines_paths_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        symlink(dir.path().join("secret"), root.join("link")).unwrap();
        symlink(dir.path(), root.join("updir")).unwrap();
        let w = |p: &Path| write_text_file(&root, &json!({"path": p, "content": "x"}));
        let r = |p: &Path| read_text_file(&root, &json!({ "path": p }));

        assert!(w(Path::new("sub/new.txt")).is_ok());
        assert!(w(&root.join("a/b/c.txt")).is_ok());
        assert_eq!(
            std::fs::read_to_string(root.join("a/b/c.txt")).unwrap(),
            "x"
        );
        assert!(refusal(w(Path::new("../secret"))).contains(".."));
        assert!(refusal(r(Path::new("../secret"))).contains(".."));
        assert!(refusal(w(&dir.path().join("secret"))).contains("outside"));
        assert!(refusal(r(&dir.path().join("secret"))).contains("outside"));
        assert!(refusal(r(Path::new("link"))).contains("outside"));
        // A write never follows a final symlink, wherever it points.
        assert!(refusal(w(Path::new("link"))).contains("symbolic link"));
        assert!(refusal(r(Path::new("updir/secret"))).contains("outside"));
        assert!(refusal(w(Path::new("updir/secret"))).contains("outside"));
        assert!(refusal(w(Path::new("updir/new"))).contains("outside"));
        assert!(refusal(r(Path::new("updir/new"))).contains("outside"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("secret")).unwrap(),
            "s"
        );
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn reads_line_ranges_and_writes_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_text_file(root, &json!({"path": "d/f.txt", "content": "1\n2\n3\n"})).unwrap();
        let all = read_text_file(root, &json!({"path": root.join("d/f.txt")})).unwrap();
        assert_eq!(all["content"], "1\n2\n3\n");
        let part =
            read_text_file(root, &json!({"path": "d/f.txt", "line": 2, "limit": 1})).unwrap();
        assert_eq!(part["content"], "2\n");
        let missing = read_text_file(root, &json!({"path": "nope"})).unwrap_err();
        assert_eq!(missing.code, codes::RESOURCE_NOT_FOUND);
    }

    #[test]
    fn line_and_limit_keep_their_semantics() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("f"), "a\nb\nc").unwrap();
        let read = |p: Value| read_text_file(root, &p).unwrap()["content"].clone();
        assert_eq!(read(json!({"path": "f", "line": 0})), "a\nb\nc");
        assert_eq!(read(json!({"path": "f", "line": 1})), "a\nb\nc");
        assert_eq!(read(json!({"path": "f", "line": 2})), "b\nc");
        assert_eq!(read(json!({"path": "f", "line": 3, "limit": 5})), "c");
        assert_eq!(read(json!({"path": "f", "line": 9})), "");
        assert_eq!(read(json!({"path": "f", "limit": 0})), "");
        assert_eq!(read(json!({"path": "f", "limit": 2})), "a\nb\n");
        assert_eq!(
            read(json!({"path": "f", "line": null, "limit": null})),
            "a\nb\nc"
        );
        // Writes replace the whole content.
        write_text_file(root, &json!({"path": "f", "content": "z"})).unwrap();
        assert_eq!(read(json!({"path": "f"})), "z");
    }

    #[test]
    fn dangling_symlink_writes_are_refused_and_create_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        std::fs::create_dir(&root).unwrap();
        symlink(dir.path().join("created"), root.join("dangle")).unwrap();
        symlink("../created-rel", root.join("dangle-rel")).unwrap();
        symlink("missing-inside", root.join("dangle-in")).unwrap();
        symlink(dir.path().join("newdir"), root.join("dangle-dir")).unwrap();
        for p in ["dangle", "dangle-rel", "dangle-in"] {
            let m = refusal(write_text_file(&root, &json!({"path": p, "content": "x"})));
            assert!(m.contains("symbolic link"), "{m}");
        }
        let m = refusal(write_text_file(
            &root,
            &json!({"path": "dangle-dir/f", "content": "x"}),
        ));
        assert!(m.contains("outside"), "{m}");
        for p in ["created", "created-rel", "newdir"] {
            assert!(!dir.path().join(p).exists(), "{p} was created outside");
        }
        assert!(!root.join("missing-inside").exists());
    }

    #[test]
    fn symlinks_inside_the_root_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/deep")).unwrap();
        std::fs::create_dir(root.join("other")).unwrap();
        std::fs::write(root.join("sub/file.txt"), "hello").unwrap();
        std::fs::write(root.join("other/o.txt"), "other").unwrap();
        symlink("sub/file.txt", root.join("filelink")).unwrap();
        symlink("sub", root.join("dirlink")).unwrap();
        symlink("../other", root.join("sub/up")).unwrap();
        let read = |p: &str| read_text_file(root, &json!({ "path": p }));
        assert_eq!(read("filelink").unwrap()["content"], "hello");
        assert_eq!(read("dirlink/file.txt").unwrap()["content"], "hello");
        assert_eq!(read("sub/up/o.txt").unwrap()["content"], "other");
        write_text_file(root, &json!({"path": "dirlink/new.txt", "content": "n"})).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("sub/new.txt")).unwrap(),
            "n"
        );
        write_text_file(root, &json!({"path": "sub/up/x/y.txt", "content": "y"})).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("other/x/y.txt")).unwrap(),
            "y"
        );
        // Through an absolute path, too.
        let abs = root.join("dirlink/file.txt");
        assert_eq!(read(abs.to_str().unwrap()).unwrap()["content"], "hello");
    }

    #[test]
    fn absolute_paths_inside_are_allowed_and_outside_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("work");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("f"), "f").unwrap();
        std::fs::write(dir.path().join("out"), "out").unwrap();
        let alias = dir.path().join("alias");
        symlink(&real, &alias).unwrap();
        let canonical = real.canonicalize().unwrap();
        for root in [&real, &alias] {
            for base in [root, &canonical] {
                let got = read_text_file(root, &json!({"path": base.join("f")})).unwrap();
                assert_eq!(got["content"], "f");
            }
            let written = write_text_file(
                root,
                &json!({"path": canonical.join("w/new"), "content": "w"}),
            );
            assert!(written.is_ok());
            for p in [
                dir.path().join("out"),
                dir.path().join("workx"),
                "/etc/passwd".into(),
            ] {
                let m = refusal(read_text_file(root, &json!({ "path": p })));
                assert!(m.contains("outside the session's working directory"), "{m}");
                let m = refusal(write_text_file(root, &json!({"path": p, "content": "x"})));
                assert!(m.contains("outside the session's working directory"), "{m}");
            }
        }
        assert_eq!(std::fs::read_to_string(real.join("w/new")).unwrap(), "w");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out")).unwrap(),
            "out"
        );
    }

    #[test]
    fn dot_dot_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("b"), "b").unwrap();
        for p in ["../x", "a/../b", "a/..", ".."] {
            let m = refusal(read_text_file(root, &json!({ "path": p })));
            assert!(m.contains("`..` is not allowed"), "{m}");
            let m = refusal(write_text_file(root, &json!({"path": p, "content": ""})));
            assert!(m.contains("`..` is not allowed"), "{m}");
        }
        let abs = format!("{}/a/../b", root.display());
        let m = refusal(read_text_file(root, &json!({ "path": abs })));
        assert!(m.contains("`..` is not allowed"), "{m}");
    }

    #[test]
    fn fifos_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let r = root.clone();
        let read = guarded(move || read_text_file(&r, &json!({"path": "fifo"})));
        assert!(refusal(read).contains("is a FIFO, not a regular file"));
        let r = root.clone();
        let read = guarded(move || read_text_file(&r, &json!({"path": "fifo", "line": 2})));
        assert!(refusal(read).contains("is a FIFO, not a regular file"));
        let r = root.clone();
        let write = guarded(move || write_text_file(&r, &json!({"path": "fifo", "content": "x"})));
        assert!(refusal(write).contains("is a FIFO, not a regular file"));

        // With a reader present the write-open succeeds; fstat must still refuse it.
        let reader = rustix::fs::open(
            root.join("fifo"),
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        let r = root.clone();
        let write = guarded(move || write_text_file(&r, &json!({"path": "fifo", "content": "x"})));
        assert!(refusal(write).contains("is a FIFO, not a regular file"));
        let mut buf = [0u8; 4];
        assert!(matches!(
            rustix::io::read(&reader, &mut buf),
            Err(Errno::AGAIN) | Ok(0)
        ));
    }

    #[test]
    fn sockets_and_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        std::fs::create_dir(root.join("sub")).unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        let r = root.clone();
        let read = guarded(move || read_text_file(&r, &json!({"path": "sock"})));
        assert!(refusal(read).contains("is a socket, not a regular file"));
        let r = root.clone();
        let write = guarded(move || write_text_file(&r, &json!({"path": "sock", "content": "x"})));
        assert!(refusal(write).contains("is a socket, not a regular file"));

        for p in [Value::from("sub"), Value::from("."), json!(root)] {
            let m = refusal(read_text_file(&root, &json!({ "path": p })));
            assert!(m.contains("not a regular file"), "{m}");
            let m = refusal(write_text_file(&root, &json!({"path": p, "content": "x"})));
            assert!(m.contains("not a regular file"), "{m}");
        }
        let m = refusal(read_text_file(&root, &json!({"path": "sub"})));
        assert!(m.contains("is a directory, not a regular file"), "{m}");
        assert!(root.join("sub").is_dir());
    }

    #[test]
    fn large_files_need_a_line_range() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut text = String::new();
        let mut n = 0;
        while text.len() as u64 <= MAX_READ_BYTES {
            n += 1;
            text.push_str(&format!("line {n}\n"));
        }
        std::fs::write(root.join("big"), &text).unwrap();
        let m = refusal(read_text_file(root, &json!({"path": "big"})));
        assert!(m.contains(&text.len().to_string()), "{m}");
        assert!(m.contains(&MAX_READ_BYTES.to_string()), "{m}");
        assert!(m.contains("`line`/`limit`"), "{m}");
        let part = read_text_file(root, &json!({"path": "big", "line": 1000, "limit": 2})).unwrap();
        assert_eq!(part["content"], "line 1000\nline 1001\n");
        let tail = read_text_file(root, &json!({"path": "big", "line": n})).unwrap();
        assert_eq!(tail["content"], format!("line {n}\n"));
        // Asking for everything is still capped.
        let m = refusal(read_text_file(
            root,
            &json!({"path": "big", "line": 1, "limit": n}),
        ));
        assert!(m.contains("cap"), "{m}");

        // One huge line: skipping over it, and refusing to collect it, are both bounded.
        std::fs::write(
            root.join("oneline"),
            vec![b'a'; MAX_READ_BYTES as usize + 10],
        )
        .unwrap();
        let m = refusal(read_text_file(
            root,
            &json!({"path": "oneline", "limit": 1}),
        ));
        assert!(m.contains("cap"), "{m}");
        let past = read_text_file(root, &json!({"path": "oneline", "line": 2})).unwrap();
        assert_eq!(past["content"], "");
    }

    #[test]
    fn read_lines_is_bounded_by_the_cap() {
        let text = b"aaaa\nbbbb\ncccc";
        let lines = |skip, limit, cap| read_lines(&text[..], skip, limit, cap);
        assert_eq!(lines(1, Some(1), 5).unwrap(), b"bbbb\n");
        assert_eq!(lines(2, None, 4).unwrap(), b"cccc");
        assert!(matches!(lines(0, Some(2), 9), Err(LinesError::TooLarge)));
        assert_eq!(lines(0, Some(2), 10).unwrap(), b"aaaa\nbbbb\n");
        // A one-byte buffer exercises lines split across buffers.
        let reader = BufReader::with_capacity(1, &text[..]);
        assert_eq!(read_lines(reader, 1, None, 100).unwrap(), b"bbbb\ncccc");
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("bin"), [b'o', b'k', b'\n', 0xff, 0xfe, b'\n']).unwrap();
        let m = refusal(read_text_file(root, &json!({"path": "bin"})));
        assert!(m.contains("not valid UTF-8"), "{m}");
        let m = refusal(read_text_file(root, &json!({"path": "bin", "line": 2})));
        assert!(m.contains("not valid UTF-8"), "{m}");
        let ok = read_text_file(root, &json!({"path": "bin", "limit": 1})).unwrap();
        assert_eq!(ok["content"], "ok\n");
    }

    #[test]
    fn malformed_params_are_invalid_params() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("f"), "f").unwrap();
        let bad = [
            json!(null),
            json!(42),
            json!("f"),
            json!(["f"]),
            json!({}),
            json!({"path": 5}),
            json!({"path": null}),
            json!({"path": ["f"]}),
            json!({"path": "f", "line": "2"}),
            json!({"path": "f", "limit": -1}),
            json!({"path": "f", "limit": 1.5}),
            json!({"path": "f\0x"}),
        ];
        for p in &bad {
            let e = read_text_file(root, p).unwrap_err();
            assert_eq!(e.code, codes::INVALID_PARAMS, "{p}: {}", e.message);
        }
        let bad_writes = [
            json!(null),
            json!(true),
            json!({"path": "f"}),
            json!({"path": "f", "content": 3}),
            json!({"path": {}, "content": "x"}),
            json!({"content": "x"}),
            json!({"path": "f\0x", "content": "x"}),
        ];
        for p in &bad_writes {
            let e = write_text_file(root, p).unwrap_err();
            assert_eq!(e.code, codes::INVALID_PARAMS, "{p}: {}", e.message);
        }
        assert_eq!(std::fs::read_to_string(root.join("f")).unwrap(), "f");
    }

    #[test]
    fn messages_name_the_requested_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        std::fs::create_dir(&root).unwrap();
        std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
        symlink(dir.path().join("elsewhere"), root.join("out")).unwrap();
        let m = message(read_text_file(&root, &json!({"path": "out/missing"})));
        assert!(m.contains("out/missing"), "{m}");
        assert!(!m.contains("elsewhere"), "{m}");
        let m = message(read_text_file(&root, &json!({"path": "gone/missing"})));
        assert!(m.contains("gone/missing"), "{m}");
    }

    #[test]
    fn the_openat_walk_refuses_every_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/f"), "f").unwrap();
        symlink("sub", root.join("dirlink")).unwrap();
        symlink("sub/f", root.join("filelink")).unwrap();
        let root_fd = open_root(root).unwrap();
        let comps = |p: &str| relative_components(root, Path::new(p)).unwrap();
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let walk = |p: &str| open_walk(root_fd.as_fd(), &comps(p), flags, Mode::empty());
        let fd = walk("sub/f").unwrap();
        let mut s = String::new();
        File::from(fd).read_to_string(&mut s).unwrap();
        assert_eq!(s, "f");
        assert!(matches!(walk("filelink"), Err(Errno::LOOP)));
        assert!(matches!(
            walk("dirlink/f"),
            Err(Errno::LOOP | Errno::NOTDIR)
        ));
        assert!(matches!(walk("nope"), Err(Errno::NOENT)));
        assert!(walk("").is_ok());
    }

    #[test]
    fn swapping_a_file_and_a_symlink_never_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        std::fs::create_dir(&root).unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "SECRET").unwrap();
        std::fs::write(root.join("x"), "inside").unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        // `x` and `.other` trade places atomically (RENAME_EXCHANGE), so `x` is a regular file
        // and a symlink to the outside for about equal shares of the time.
        symlink(&secret, root.join(".other")).unwrap();
        let swapper = {
            let (root, stop) = (root.clone(), stop.clone());
            std::thread::spawn(move || {
                let (x, other) = (root.join("x"), root.join(".other"));
                let exchange = rustix::fs::RenameFlags::EXCHANGE;
                while !stop.load(Ordering::Relaxed) {
                    let cwd = rustix::fs::CWD;
                    rustix::fs::renameat_with(cwd, &x, cwd, &other, exchange).unwrap();
                }
            })
        };
        let (mut reads_ok, mut writes_ok) = (0, 0);
        for i in 0..300 {
            if let Ok(v) = read_text_file(&root, &json!({"path": "x"})) {
                assert_ne!(v["content"], "SECRET", "read {i} escaped the root");
                reads_ok += 1;
            }
            if write_text_file(&root, &json!({"path": "x", "content": "written"})).is_ok() {
                writes_ok += 1;
            }
            assert_eq!(std::fs::read_to_string(&secret).unwrap(), "SECRET");
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "SECRET");
        eprintln!("swap race: {reads_ok}/300 reads and {writes_ok}/300 writes were served");
    }
}
