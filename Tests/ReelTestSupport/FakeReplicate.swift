import Foundation
import ReelBasics
import Synchronization

/// A fake Replicate HTTP API on 127.0.0.1, speaking the real wire format (see
/// shared/reference/provider-apis.md §1): predictions on official models, the Files API and output
/// downloads, with scripted prediction progress, fault injection, call recording and billing.
///
/// ```swift
/// let replicate = FakeReplicate(token: "r8_test")
/// replicate.outputVideo = URL(fileURLWithPath: pathToSmallMP4)
/// try await replicate.start()
/// defer { Task { await replicate.stop() } }
/// replicate.inject(.serverError(status: 503), times: 2, on: .createPrediction)
/// // point Reel at replicate.baseURL, run it, then:
/// #expect(replicate.createCount == 1)
/// ```
public final class FakeReplicate: Sendable {
    struct State {
        var port: UInt16 = 0
        var log = RequestLog()
        var faults: [Route: [FakeFault]] = [:]
        var predictions: [String: Prediction] = [:]
        var predictionOrder: [String] = []
        var files: [String: File] = [:]
        var fileOrder: [String] = []
        var scripts: [Script] = []
        var defaultScript = Script()
        var outputVideo: URL?
        var prices = PriceTable()
        var inputValidator: (@Sendable (_ model: String, _ input: FakeJSON) -> [InvalidField])?
        var maxPreferWait: Duration?
        var pageSize = 100
        var echoesFileInputs = true
        var fileLifetime: TimeInterval = 3600
        var maxFileSize = 100 * 1024 * 1024
        var nextID = 0
        var createAttempts = 0
        /// Requests being answered now, and the most at once, by route.
        var inFlight: [Route: Int] = [:]
        var peakInFlight: [Route: Int] = [:]
        /// Creates wait until this many are in flight at once (or `createBarrierTimeout` passes).
        var createBarrier: Int?
        var createBarrierTimeout: Duration = .seconds(30)
    }

    let state = Mutex(State())
    let host = FakeServerHost()

    /// The API token the fake expects in `Authorization: Bearer <token>`.
    public let token: String

    public init(token: String = "r8_fake_token") {
        self.token = token
    }

    // MARK: - Lifecycle

    /// Starts listening on 127.0.0.1 (an ephemeral port unless `port` is given).
    public func start(port: UInt16 = 0) async throws {
        let bound = try await host.start(port: port) { [weak self] request in
            guard let self else { return .text(503, "FakeReplicate was deallocated") }
            return await self.handle(request)
        }
        state.withLock { $0.port = bound }
    }

    /// Stops the server; handlers still running (slow faults, `Prefer: wait`) are cancelled.
    public func stop() async {
        await host.stop()
    }

    /// The port the fake listens on (0 before `start()`).
    public var port: UInt16 { state.withLock { $0.port } }

    /// `http://127.0.0.1:<port>`: where output downloads are served (`/delivery/…`).
    public var rootURL: URL { URL(string: rootString) ?? URL(fileURLWithPath: "/") }

    /// `http://127.0.0.1:<port>/v1`: what `REPLICATE_BASE_URL`-style settings should point at.
    public var baseURL: URL { rootURL.appendingPathComponent("v1") }

    var rootString: String { "http://127.0.0.1:\(port)" }
    var apiString: String { rootString + "/v1" }

    // MARK: - Configuration

    /// The MP4 served by output downloads. Must be set before a client downloads (500 otherwise).
    public var outputVideo: URL? {
        get { state.withLock { $0.outputVideo } }
        set { state.withLock { $0.outputVideo = newValue } }
    }

    /// The script used for predictions when the queue from `enqueue(_:)` is empty
    /// (default: succeed on the second poll).
    public var defaultScript: Script {
        get { state.withLock { $0.defaultScript } }
        set { state.withLock { $0.defaultScript = newValue } }
    }

    /// Prices used to bill succeeded predictions (default: empty, everything bills 0).
    public var prices: PriceTable {
        get { state.withLock { $0.prices } }
        set { state.withLock { $0.prices = newValue } }
    }

    /// Model-specific input checks: a non-empty result answers 422 "Input validation failed" with
    /// those `invalid_fields` (no prediction is created).
    public var inputValidator: (@Sendable (_ model: String, _ input: FakeJSON) -> [InvalidField])? {
        get { state.withLock { $0.inputValidator } }
        set { state.withLock { $0.inputValidator = newValue } }
    }

    /// An upper bound on how long `Prefer: wait` really blocks (nil: the requested wait, ≤ 60 s).
    public var maxPreferWait: Duration? {
        get { state.withLock { $0.maxPreferWait } }
        set { state.withLock { $0.maxPreferWait = newValue } }
    }

    /// Predictions per page of `GET /v1/predictions` (Replicate: 100).
    public var pageSize: Int {
        get { state.withLock { $0.pageSize } }
        set { state.withLock { $0.pageSize = max(1, newValue) } }
    }

    /// Whether `GET /v1/predictions` echoes file inputs (data URLs, upload URLs) verbatim. When
    /// false, each is shown as a delivery URL of its own (Replicate may rewrite data-URL inputs).
    public var echoesFileInputs: Bool {
        get { state.withLock { $0.echoesFileInputs } }
        set { state.withLock { $0.echoesFileInputs = newValue } }
    }

    /// Largest upload accepted by `POST /v1/files` (Replicate: 100 MB; larger answers 413).
    public var maxFileSize: Int {
        get { state.withLock { $0.maxFileSize } }
        set { state.withLock { $0.maxFileSize = newValue } }
    }

    /// Queues scripts for the next predictions created, in order.
    public func enqueue(_ scripts: Script...) {
        state.withLock { $0.scripts.append(contentsOf: scripts) }
    }

    /// Injects `fault` on the next `times` requests to `route` (after the auth check: a request
    /// with bad credentials gets its 401 and does not consume a fault).
    public func inject(_ fault: FakeFault, times: Int = 1, on route: Route) {
        state.withLock { $0.faults[route, default: []].append(contentsOf: Array(repeating: fault, count: max(0, times))) }
    }

    /// Injects `faults` on the next requests to `route`, one per request, in order.
    public func inject(_ faults: [FakeFault], on route: Route) {
        state.withLock { $0.faults[route, default: []].append(contentsOf: faults) }
    }

    /// Faults injected but not yet served.
    public func pendingFaults(on route: Route) -> [FakeFault] {
        state.withLock { $0.faults[route] ?? [] }
    }

    /// Drops every fault not yet served.
    public func clearFaults() {
        state.withLock { $0.faults = [:] }
    }

    // MARK: - Driving predictions

    /// Ends a running prediction now with `outcome` (default: its script's outcome). Returns false
    /// when there is no such prediction or it already ended.
    @discardableResult
    public func complete(id: String, outcome: Outcome? = nil) -> Bool {
        state.withLock { state in
            guard var prediction = state.predictions[id], !prediction.status.isTerminal else { return false }
            finish(&prediction, outcome: outcome ?? prediction.script.outcome, now: Date(), prices: state.prices)
            state.predictions[id] = prediction
            return true
        }
    }

    /// Removes a prediction's data as Replicate does after an hour: `output` null, `data_removed`
    /// true, the download answers 404.
    public func removeData(id: String) {
        state.withLock { state in
            state.predictions[id]?.dataRemoved = true
            state.predictions[id]?.downloadGone = true
        }
    }

    /// Makes the download of a prediction's output answer 404 while the prediction still shows it.
    public func expireDownload(id: String) {
        state.withLock { $0.predictions[id]?.downloadGone = true }
    }

    /// Makes an uploaded file expire (GET answers 404).
    public func expireFile(id: String) {
        state.withLock { $0.files[id]?.expiresAt = Date(timeIntervalSinceNow: -1) }
    }

    // MARK: - Recordings

    /// Every request received, in arrival order (including rejected and faulted ones).
    public var requests: [RecordedRequest] { state.withLock { $0.log.entries } }

    /// The requests to `route`, in order.
    public func requests(matching route: Route) -> [RecordedRequest] {
        requests.filter { Route.of(method: $0.method, path: $0.path)?.0 == route }
    }

    /// The requests satisfying `predicate`, in order.
    public func requests(matching predicate: (RecordedRequest) -> Bool) -> [RecordedRequest] {
        requests.filter(predicate)
    }

    /// Predictions actually created (what a client could be billed for), in creation order.
    public var predictions: [Prediction] {
        state.withLock { state in state.predictionOrder.compactMap { state.predictions[$0] } }
    }

    /// A prediction by id.
    public func prediction(id: String) -> Prediction? { state.withLock { $0.predictions[id] } }

    /// How many predictions were created (POSTs that were answered 201/202, including those whose
    /// answer was then slowed, garbled or truncated by a fault).
    public var createCount: Int { state.withLock { $0.predictionOrder.count } }

    /// Holds every create until `count` creates are in flight at once (then all go on), or until
    /// `timeout`: a client that cannot send `count` at once shows up as a peak below it, however
    /// slow the machine.
    public func holdCreates(until count: Int, timeout: Duration = .seconds(30)) {
        state.withLock {
            $0.createBarrier = count
            $0.createBarrierTimeout = timeout
        }
    }

    /// The most requests of `route` the fake was answering at once: how much concurrency the
    /// client really achieved (connection caps in the HTTP stack show up here).
    public func peakConcurrency(of route: Route) -> Int { state.withLock { $0.peakInFlight[route] ?? 0 } }

    /// How many create requests arrived (including rejected and faulted ones).
    public var createAttempts: Int { requests(matching: .createPrediction).count }

    /// USD billed per prediction id (succeeded predictions only).
    public var billed: [String: Decimal] {
        state.withLock { state in
            state.predictions.values.reduce(into: [:]) { $0[$1.id] = $1.billedUSD }
        }
    }

    /// Total USD billed.
    public var totalBilled: Decimal {
        state.withLock { state in state.predictions.values.reduce(Decimal(0)) { $0 + $1.billedUSD } }
    }

    /// Uploaded files, in upload order.
    public var files: [File] {
        state.withLock { state in state.fileOrder.compactMap { state.files[$0] } }
    }

    /// Forgets recordings, predictions, files, scripts and faults (configuration stays).
    public func reset() {
        state.withLock { state in
            state.log.reset()
            state.faults = [:]
            state.predictions = [:]
            state.predictionOrder = []
            state.files = [:]
            state.fileOrder = []
            state.scripts = []
        }
    }

    // MARK: - Shared helpers

    /// A fresh Replicate-looking id (26 characters of [a-z0-9]), deterministic per fake.
    func makeID(_ state: inout State) -> String {
        state.nextID += 1
        var value = UInt64(state.nextID) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(state.port)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var id = ""
        for _ in 0..<26 {
            value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            id.append(alphabet[Int((value >> 33) % UInt64(alphabet.count))])
        }
        return id
    }

    /// Hex SHA-256 of `data`.
    func sha256(_ data: Data) -> String { Digest.of(data).hex }
}
