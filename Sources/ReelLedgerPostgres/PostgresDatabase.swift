import Foundation
import PostgresNIO
import Synchronization

/// A small pool of connections to the shared database, with transactions that rethrow the
/// caller's own errors (a `BudgetExceeded` stays a `BudgetExceeded`). Connections are opened on
/// demand, so an unreachable database fails the first call quickly with a clear error instead of
/// waiting in a pool's retry loop.
public final class PostgresDatabase: Sendable {
    public let location: PostgresLocation
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let slots: Slots

    /// - Parameter maxConnections: at most this many connections at once (callers queue beyond).
    public init(_ location: PostgresLocation, maxConnections: Int = 4) throws {
        self.location = location
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try PostgresDatabase.tls(for: location)
        } catch {
            throw SharedLedgerError.tls(location: location.description, detail: "\(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password, database: location.database,
            tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        if location.tls == .verifyFull { configuration.options.tlsServerName = location.host }
        self.configuration = configuration
        var logger = Logger(label: "reel.postgres")
        logger.logLevel = .critical
        self.logger = logger
        slots = Slots(max: max(1, maxConnections))
    }

    static func tls(for location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var config = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable:
            return .disable
        case .prefer, .require:
            config.certificateVerification = .none
        case .verifyCA:
            config.certificateVerification = .noHostnameVerification
        case .verifyFull:
            config.certificateVerification = .fullVerification
        }
        if let root = location.rootCertificate {
            config.trustRoots = .file(root)
        }
        let context = try NIOSSLContext(configuration: config)
        return location.tls == .prefer ? .prefer(context) : .require(context)
    }

    /// Runs `body` on a connection (not in a transaction).
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await checkout()
        do {
            let value = try await body(connection)
            slots.checkin(connection, broken: connection.isClosed)
            return value
        } catch {
            slots.checkin(connection, broken: true)
            throw wrap(error)
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await checkout()
        do {
            try await connection.query("BEGIN", logger: logger)
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            slots.checkin(connection, broken: false)
            return value
        } catch {
            var broken = connection.isClosed
            if !broken {
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    broken = true
                }
            }
            slots.checkin(connection, broken: broken)
            throw wrap(error)
        }
    }

    /// Closes every idle connection. A connection that does not close cleanly is reported to
    /// `onFailure` (the server drops it when the process exits; nothing of the ledger depends on it).
    public func close(onFailure: (any Error) -> Void) async {
        for connection in slots.drain() {
            do {
                try await connection.close()
            } catch {
                onFailure(error)
            }
        }
    }

    func wrap(_ error: any Error) -> any Error {
        if error is SharedLedgerError || !(error is PSQLError) { return error }
        return SharedLedgerError.query(location: location.description, detail: SharedLedgerError.describe(error))
    }

    func checkout() async throws -> PostgresConnection {
        switch await slots.checkout() {
        case .idle(let connection):
            return connection
        case .open(let id):
            do {
                return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            } catch {
                slots.failedOpen()
                throw SharedLedgerError.unreachable(location: location.description, setting: location.setting, detail: SharedLedgerError.describe(error))
            }
        }
    }

    /// Connection bookkeeping: idle connections, how many are open, who waits for one. A
    /// connection must be closed before it is freed (postgres-nio checks), so idle ones are closed
    /// when the database object goes, and kept alive until their close completes.
    final class Slots: Sendable {
        enum Grant: Sendable {
            case idle(PostgresConnection)
            case open(Int)
        }

        struct State {
            var idle: [PostgresConnection] = []
            var opened = 0
            var nextID = 0
            var waiters: [CheckedContinuation<Grant?, Never>] = []
        }

        let max: Int
        let state = Mutex(State())

        init(max: Int) {
            self.max = max
        }

        deinit {
            for connection in drain() { Slots.closeInBackground(connection) }
        }

        static func closeInBackground(_ connection: PostgresConnection) {
            let future: EventLoopFuture<Void> = connection.close()
            future.whenComplete { _ in _ = connection }  // holds it until closed
        }

        func checkout() async -> Grant {
            while true {
                let grant: Grant? = await withCheckedContinuation { continuation in
                    state.withLock { state in
                        while let connection = state.idle.popLast() {
                            if !connection.isClosed {
                                continuation.resume(returning: .idle(connection))
                                return
                            }
                            state.opened -= 1
                        }
                        if state.opened < max {
                            state.opened += 1
                            state.nextID += 1
                            continuation.resume(returning: .open(state.nextID))
                            return
                        }
                        state.waiters.append(continuation)  // resumed with nil when a slot frees
                    }
                }
                if let grant { return grant }
            }
        }

        func checkin(_ connection: PostgresConnection, broken: Bool) {
            if broken { Slots.closeInBackground(connection) }
            state.withLock { state in
                if broken {
                    state.opened -= 1
                } else {
                    state.idle.append(connection)
                }
                if !state.waiters.isEmpty { state.waiters.removeFirst().resume(returning: nil) }
            }
        }

        func failedOpen() {
            state.withLock { state in
                state.opened -= 1
                if !state.waiters.isEmpty { state.waiters.removeFirst().resume(returning: nil) }
            }
        }

        func drain() -> [PostgresConnection] {
            state.withLock { state in
                defer { state.idle = [] }
                state.opened -= state.idle.count
                return state.idle
            }
        }
    }
}
