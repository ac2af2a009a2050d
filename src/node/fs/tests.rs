//! Tests of the fs sandbox: confinement, symlinks (dangling, inside, outside), FIFOs, sockets,
//! the read cap, malformed params and a swap race.
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
    let part = read_text_file(root, &json!({"path": "d/f.txt", "line": 2, "limit": 1})).unwrap();
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
