import Foundation
import ReelBasics

/// A real PostgreSQL server for tests, from the Debian packages (`scripts/install-deps.sh --test`):
/// `initdb` into a fresh temporary folder owned by an unprivileged user (PostgreSQL refuses to run
/// as root, and CI runs as root), `postgres` listening on 127.0.0.1 on a free port with password
/// (SCRAM) authentication. One server per test process (`shared()`), stopped when the process
/// exits; each test takes its own database (`makeDatabase()`).
public final class PostgresServer: Sendable {
    public let port: Int
    public let user = "reel"
    /// Deliberately distinctive, so tests can search output and files for it.
    public let password: String
    let folder: String
    let pid: Int32
    let bin: String
    let osUser: String?

    init(port: Int, password: String, folder: String, pid: Int32, bin: String, osUser: String?) {
        self.port = port
        self.password = password
        self.folder = folder
        self.pid = pid
        self.bin = bin
        self.osUser = osUser
    }

    /// `postgres://reel:<password>@127.0.0.1:<port>/<database>`.
    public func url(database: String, password: String? = nil, query: String = "") -> String {
        "postgres://\(user):\(password ?? self.password)@127.0.0.1:\(port)/\(database)\(query)"
    }

    /// The folder holding PostgreSQL's programs (the newest installed version), or nil.
    public static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/postgres") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    /// Whether the tests can start a server here.
    public static var isAvailable: Bool { binaries() != nil }

    nonisolated(unsafe) private static var startedPID: Int32 = 0
    private static let sharedServer = Task<PostgresServer, any Error> { try await PostgresServer.start() }

    /// The process's server, started on first use.
    public static func shared() async throws -> PostgresServer {
        try await sharedServer.value
    }

    /// A fresh, empty database on the server; returns its name.
    public func makeDatabase() async throws -> String {
        let name = "reel_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await PostgresServer.run(
            "\(bin)/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, name], environment: ["PGPASSWORD": password], as: nil)
        return name
    }

    /// Runs SQL through `psql` (test setup and inspection), returning its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String) async throws -> String {
        try await PostgresServer.run(
            "\(bin)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
            environment: ["PGPASSWORD": password], as: nil)
    }

    static func start() async throws -> PostgresServer {
        guard let bin = binaries() else {
            throw InternalError("PostgreSQL is not installed (expected /usr/lib/postgresql/*/bin/postgres); run scripts/install-deps.sh --test")
        }
        let folder = "/tmp/reel-pg-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let password = "pw-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased() + "-secret"
        let osUser: String? = getuid() == 0 ? try await unprivilegedUser() : nil
        try (password + "\n").write(toFile: folder + "/pwfile", atomically: true, encoding: .utf8)
        if let osUser {
            try await run("/bin/chown", ["-R", osUser, folder], as: nil)
        }
        try await run(
            "\(bin)/initdb",
            ["-D", folder + "/data", "-U", "reel", "--pwfile=" + folder + "/pwfile", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
             "-E", "UTF8", "--no-sync"],
            as: osUser)
        try FileManager.default.removeItem(atPath: folder + "/pwfile")
        for _ in 0..<5 {
            let port = try freePort()
            let process = Process()
            let arguments = [
                "\(bin)/postgres", "-D", folder + "/data", "-p", "\(port)", "-k", folder, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "log_min_messages=fatal",
            ]
            if let osUser {
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
                process.arguments = ["-u", osUser, "--"] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: arguments[0])
                process.arguments = Array(arguments.dropFirst())
            }
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
            try process.run()
            // Ready when it accepts connections (pg_isready), or gone when the port was taken.
            for _ in 0..<100 {
                if !process.isRunning { break }
                if (try? await run("\(bin)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"], as: nil)) != nil {
                    // The postmaster itself (runuser is only its parent): what we signal to stop it.
                    let pidText = (try? String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8)) ?? ""
                    let pid = pidText.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) } ?? process.processIdentifier
                    startedPID = pid
                    atexit {
                        if PostgresServer.startedPID > 0 { kill(PostgresServer.startedPID, SIGINT) }
                    }
                    try watchdog(postmaster: pid, folder: folder)
                    return PostgresServer(port: port, password: password, folder: folder, pid: pid, bin: bin, osUser: osUser)
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { process.terminate() }
        }
        let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
        throw InternalError("could not start PostgreSQL in \(folder): \(log.suffix(2000))")
    }

    /// Stops the server (SIGINT: fast shutdown) and removes its folder.
    public func stop() {
        kill(pid, SIGINT)
        var status: Int32 = 0
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { break }
            _ = waitpid(pid, &status, WNOHANG)
            usleep(50_000)
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops the server and removes its folder when this test process is gone, however it ended
    /// (even `kill -9`, when `atexit` does not run).
    static func watchdog(postmaster: Int32, folder: String) throws {
        let me = getpid()
        let script = "while kill -0 \(me) 2>/dev/null; do sleep 1; done; kill -INT \(postmaster) 2>/dev/null; "
            + "for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 \(postmaster) 2>/dev/null || break; sleep 1; done; rm -rf '\(folder)'"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// An existing unprivileged account to run PostgreSQL as (created when missing).
    static func unprivilegedUser() async throws -> String {
        for name in ["postgres", "reel-pg"] where getpwnam(name) != nil {
            return name
        }
        try await run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "reel-pg"], as: nil)
        return "reel-pg"
    }

    /// A loopback port nothing listens on (for "database unreachable" tests).
    public static func unusedPort() throws -> Int {
        try freePort()
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw InternalError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw InternalError("bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program to completion (as `user` through runuser when given); throws on failure with its output.
    /// Waits without blocking a cooperative thread (initdb takes seconds; the in-process fake servers
    /// of other tests share the two threads of a 2-core machine's pool).
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:], as user: String?) async throws -> String {
        let outcome: ProcessOutcome
        if let user {
            outcome = try await runProcess("/usr/sbin/runuser", ["-u", user, "--", program] + arguments, environment: environment, timeout: 300)
        } else {
            outcome = try await runProcess(program, arguments, environment: environment, timeout: 300)
        }
        let text = outcome.stdout + outcome.stderr
        guard outcome.exitCode == 0 else {
            throw InternalError("\(program.split(separator: "/").last ?? "") failed (\(outcome.exitCode)): \(text.suffix(1500))")
        }
        return outcome.stdout
    }
}
