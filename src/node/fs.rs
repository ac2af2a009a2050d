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
mod tests;
