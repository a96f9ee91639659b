import Foundation
import ReelBasics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real server process the tests start on 127.0.0.1 and stop: nginx (the reference Bazel HTTP
/// cache: WebDAV PUT) or wsgidav (a hostile WebDAV server that keeps truncated uploads). Both are
/// installed by `scripts/install-deps.sh --test`.
public final class CacheServerProcess: Sendable {
    /// Its own directory: configuration, logs, and the served files under `root`.
    public let directory: AbsolutePath
    /// The folder served as the cache (its `ac/` and `cas/` hold the entries).
    public let cacheRoot: AbsolutePath
    public let port: UInt16
    /// Where the remote cache lives: `http://127.0.0.1:<port><prefix>`.
    public let baseURL: URL
    private let process: Mutex<Process?>

    private init(directory: AbsolutePath, cacheRoot: AbsolutePath, port: UInt16, baseURL: URL, process: Process) {
        self.directory = directory
        self.cacheRoot = cacheRoot
        self.port = port
        self.baseURL = baseURL
        self.process = Mutex(process)
    }

    deinit {
        process.withLock { process in
            if let process, process.isRunning { kill(process.processIdentifier, SIGTERM) }
        }
    }

    // MARK: - nginx

    /// Starts nginx with the WebDAV module (`dav_methods PUT`, `create_full_put_path on`), as
    /// Bazel's docs configure it, serving `<directory>/root/cache/` at `/cache/`. Runs in the
    /// foreground (`daemon off`); as root, workers run as root too so they can write the temporary
    /// directory. The access log records each request's Transfer-Encoding and Content-Length.
    public static func startNginx(workers: Int = 1) async throws -> CacheServerProcess {
        guard let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].compactMap(AbsolutePath.init).first(where: { LocalFileSystem().exists($0) })
            ?? ExecutableSearch.find("nginx")
        else {
            throw FakeServerError("nginx is not installed: run scripts/install-deps.sh --test (Debian package nginx)")
        }
        let directory = try makeTemporaryDirectory()
        let root = directory.appending("root")
        let cacheRoot = root.appending("cache")
        for folder in [cacheRoot, directory.appending("temp"), directory.appending("logs")] {
            try FileManager.default.createDirectory(atPath: folder.pathString, withIntermediateDirectories: true)
        }
        var lastError = "nginx did not start"
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            let d = directory.pathString
            let config = """
                \(getuid() == 0 ? "user root root;" : "")
                worker_processes \(workers);
                daemon off;
                pid \(d)/nginx.pid;
                error_log \(d)/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    log_format reel '$request_method $uri $status te=$http_transfer_encoding cl=$content_length expect=$http_expect';
                    access_log \(d)/logs/access.log reel;
                    client_body_temp_path \(d)/temp/body;
                    proxy_temp_path \(d)/temp/proxy;
                    fastcgi_temp_path \(d)/temp/fastcgi;
                    uwsgi_temp_path \(d)/temp/uwsgi;
                    scgi_temp_path \(d)/temp/scgi;
                    sendfile on;
                    keepalive_requests 100000;
                    server {
                        listen 127.0.0.1:\(port);
                        root \(root.pathString);
                        location /cache/ {
                            dav_methods PUT DELETE;
                            create_full_put_path on;
                            dav_access user:rw group:r all:r;
                            client_max_body_size 4g;
                        }
                    }
                }

                """
            let configPath = directory.appending("nginx.conf")
            try writeFile(config, to: configPath)
            let process = try launch(
                nginx, ["-p", directory.pathString, "-c", configPath.pathString, "-e", directory.appending("logs/error.log").pathString],
                logs: directory.appending("logs/stderr.log"))
            if try await waitUntilListening(port: port, process: process) {
                return CacheServerProcess(
                    directory: directory, cacheRoot: cacheRoot, port: port,
                    baseURL: URL(string: "http://127.0.0.1:\(port)/cache")!, process: process)
            }
            lastError = (try? String(contentsOfFile: directory.appending("logs/error.log").pathString, encoding: .utf8)) ?? lastError
        }
        throw FakeServerError("nginx did not start: \(lastError)")
    }

    /// nginx's access log lines: `METHOD /uri STATUS te=<transfer-encoding> cl=<content-length> expect=<expect>`.
    public func accessLog() -> [String] {
        let text = (try? String(contentsOfFile: directory.appending("logs/access.log").pathString, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    // MARK: - wsgidav

    /// Starts wsgidav (cheroot) sharing `<directory>/root` read-write at `/`, anonymous, with the
    /// `ac/` and `cas/` folders created (WebDAV answers 409 to a PUT whose parent is missing).
    public static func startWsgiDAV() async throws -> CacheServerProcess {
        guard let python = ExecutableSearch.find("python3") else { throw FakeServerError("python3 is not installed") }
        let directory = try makeTemporaryDirectory()
        let root = directory.appending("root")
        for folder in [root.appending("ac"), root.appending("cas"), directory.appending("logs")] {
            try FileManager.default.createDirectory(atPath: folder.pathString, withIntermediateDirectories: true)
        }
        var lastError = "wsgidav did not start"
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            let process = try launch(
                python,
                ["-m", "wsgidav.server.server_cli", "--host", "127.0.0.1", "--port", String(port), "--root", root.pathString, "--auth", "anonymous",
                 "--no-config", "-q"],
                logs: directory.appending("logs/stderr.log"))
            if try await waitUntilListening(port: port, process: process) {
                return CacheServerProcess(
                    directory: directory, cacheRoot: root, port: port, baseURL: URL(string: "http://127.0.0.1:\(port)")!, process: process)
            }
            lastError = (try? String(contentsOfFile: directory.appending("logs/stderr.log").pathString, encoding: .utf8)) ?? lastError
            if lastError.contains("No module named") {
                throw FakeServerError("wsgidav is not installed: run scripts/install-deps.sh --test (pip wsgidav cheroot)")
            }
        }
        throw FakeServerError("wsgidav did not start: \(lastError)")
    }

    // MARK: - Lifecycle

    /// Stops the server and waits for it to exit; removes its directory unless `REEL_SAVE_TEMPS=1`.
    public func stop() async {
        let running = process.withLock { process -> Process? in
            defer { process = nil }
            return process
        }
        if let running, running.isRunning {
            kill(running.processIdentifier, SIGTERM)
            for _ in 0..<200 where running.isRunning { try? await Task.sleep(for: .milliseconds(25)) }
            if running.isRunning { kill(running.processIdentifier, SIGKILL) }
        }
        if ProcessInfo.processInfo.environment["REEL_SAVE_TEMPS"] != "1" {
            try? LocalFileSystem().removeWritable(directory)
        }
    }

    /// The file a cache entry is stored in (`ac/<hex>` or `cas/<hex>` under the cache root).
    public func entryPath(_ kind: String, _ hex: String) -> AbsolutePath {
        cacheRoot.appending(kind).appending(hex)
    }

    private static func launch(_ executable: AbsolutePath, _ arguments: [String], logs: AbsolutePath) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.pathString)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: logs.pathString, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logs.pathString))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until the port accepts connections (true), or the process exits (false).
    private static func waitUntilListening(port: UInt16, process: Process) async throws -> Bool {
        for _ in 0..<400 {
            if !process.isRunning { return false }
            if canConnect(port: port) { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        kill(process.processIdentifier, SIGKILL)
        return false
    }
}

/// A port on 127.0.0.1 that was free a moment ago (bind to 0, read it back, close).
public func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FakeServerError("socket() failed") }
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw FakeServerError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}

func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return address
}

/// A TCP connection to 127.0.0.1:`port`, or nil.
func connectLoopback(port: UInt16) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}

func canConnect(port: UInt16) -> Bool {
    guard let fd = connectLoopback(port: port) else { return false }
    close(fd)
    return true
}

/// Sends a PUT that declares `declaredLength` bytes but sends only `body`, then closes the
/// connection: the interrupted upload a CI runner killed mid-transfer leaves behind. Returns once
/// the server had a moment to handle it.
public func sendInterruptedPut(port: UInt16, path: String, declaredLength: Int, body: Data) async throws {
    guard let fd = connectLoopback(port: port) else { throw FakeServerError("cannot connect to 127.0.0.1:\(port)") }
    let head = "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(declaredLength)\r\nContent-Type: application/octet-stream\r\n\r\n"
    let bytes = Data(head.utf8) + body
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    try await Task.sleep(for: .milliseconds(200))
    close(fd)
    try await Task.sleep(for: .milliseconds(300))
    guard sent == bytes.count else { throw FakeServerError("sent \(sent) of \(bytes.count) bytes") }
}
