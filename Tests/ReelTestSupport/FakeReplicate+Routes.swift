import Foundation
import ReelBasics
import Synchronization

/// Request handling of ``FakeReplicate``: routing, auth, faults, and the prediction endpoints.
extension FakeReplicate {
    func handle(_ request: RecordedRequest) async -> FakeReply {
        let route = Route.of(method: request.method, path: request.path)?.0
        let serial = state.withLock { state -> Int in
            if let route {
                state.inFlight[route, default: 0] += 1
                state.peakInFlight[route] = max(state.peakInFlight[route] ?? 0, state.inFlight[route] ?? 0)
            }
            return state.log.append(request)
        }
        if route == .createPrediction, let (count, timeout) = state.withLock({ state in state.createBarrier.map { ($0, state.createBarrierTimeout) } }) {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, state.withLock({ ($0.peakInFlight[.createPrediction] ?? 0) < count }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let reply = await respond(to: request)
        state.withLock { state in
            if let route { state.inFlight[route, default: 1] -= 1 }
            state.log.setStatus(reply.status, for: serial)
        }
        return reply
    }

    private func respond(to request: RecordedRequest) async -> FakeReply {
        guard let (route, parameters) = Route.of(method: request.method, path: request.path) else {
            return problem(404, title: nil, detail: "The requested resource could not be found.")
        }
        if let failure = authenticate(request) { return failure }
        let fault = state.withLock { state -> FakeFault? in
            guard var queue = state.faults[route], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.faults[route] = queue
            return first
        }
        switch fault {
        case nil:
            return await serve(route, parameters, request)
        case .slow(let duration)?:
            await fakeSleep(duration)
            if Task.isCancelled { return problem(503, title: "Service Unavailable", detail: "The fake server is stopping.") }
            return await serve(route, parameters, request)
        case .malformedJSON?:
            return await serve(route, parameters, request).malformed
        case .truncatedBody?:
            var reply = await serve(route, parameters, request)
            reply.truncated = true
            return reply
        case let fault?:
            return render(fault)
        }
    }

    private func serve(_ route: Route, _ parameters: [String], _ request: RecordedRequest) async -> FakeReply {
        switch route {
        case .createPrediction: return await createPrediction(owner: parameters[0], name: parameters[1], request)
        case .getPrediction: return getPrediction(id: parameters[0])
        case .cancelPrediction: return cancelPrediction(id: parameters[0])
        case .listPredictions: return listPredictions(request)
        case .createFile: return createFile(request)
        case .getFile: return getFile(id: parameters[0])
        case .deleteFile: return deleteFile(id: parameters[0])
        case .download: return download(id: parameters[0])
        }
    }

    /// `Authorization: Bearer <token>` or 401 in Replicate's shape.
    private func authenticate(_ request: RecordedRequest) -> FakeReply? {
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else {
            return problem(401, title: "Unauthenticated", detail: "You did not pass an authentication token")
        }
        guard header.dropFirst("Bearer ".count) == token else {
            return problem(401, title: "Unauthenticated", detail: "Invalid or expired API token.")
        }
        return nil
    }

    /// An RFC 7807 problem body, as Replicate sends errors.
    func problem(_ status: Int, title: String?, detail: String, extra: [String: FakeJSON] = [:], headers: [String: String] = [:]) -> FakeReply {
        var body: [String: FakeJSON] = ["detail": .string(detail), "status": .int(status)]
        if let title { body["title"] = .string(title) }
        body.merge(extra) { _, new in new }
        return .json(status, .object(body), contentType: "application/problem+json", headers: headers)
    }

    private func render(_ fault: FakeFault) -> FakeReply {
        switch fault {
        case .rateLimited(let retryAfter):
            let seconds = retryAfter ?? 1
            let body: FakeJSON = ["detail": .string("Request was throttled. Expected available in \(seconds) second\(seconds == 1 ? "" : "s").")]
            return .json(429, body, contentType: "application/problem+json", headers: retryAfter.map { ["Retry-After": String($0)] } ?? [:])
        case .serverError(let status):
            return problem(status, title: FakeReply.phrase(for: status), detail: "The server encountered an unexpected error.")
        case .insufficientCredit:
            return problem(
                402, title: "Insufficient credit",
                detail: "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. "
                    + "Once you purchase credit, please wait a few minutes before trying again.")
        case .notFound:
            return problem(404, title: nil, detail: "The requested resource could not be found.")
        case .invalidInput(let field, let message, let type):
            return validationFailed([InvalidField(type: type, field: field, description: message)])
        case .response(let status, let body, let headers):
            var all = headers
            if !all.keys.contains(where: { $0.lowercased() == "content-type" }) { all["Content-Type"] = "application/json" }
            return FakeReply(status: status, headers: all, body: Data(body.utf8))
        case .slow, .malformedJSON, .truncatedBody:
            return problem(500, title: "Internal Server Error", detail: "unreachable fault rendering")
        }
    }

    func validationFailed(_ fields: [InvalidField]) -> FakeReply {
        let detail = fields.map { field -> String in
            ["required", "additional_property_not_allowed"].contains(field.type)
                ? "- \(field.description)\n" : "- \(field.field): \(field.description)\n"
        }.joined()
        return problem(422, title: "Input validation failed", detail: detail, extra: ["invalid_fields": .array(fields.map(\.json))])
    }

    // MARK: - Predictions

    private static let allowedCreateKeys: Set<String> = ["input", "webhook", "webhook_events_filter", "stream"]

    private func createPrediction(owner: String, name: String, _ request: RecordedRequest) async -> FakeReply {
        let model = "\(owner)/\(name)"
        var wait: Int?
        if let prefer = request.header("prefer") {
            guard let seconds = Self.parsePrefer(prefer) else {
                return problem(
                    400, title: "Invalid Prefer header",
                    detail: "The Prefer header must match ^wait(=([1-9]|[1-9][0-9]|60))?$, got \(prefer)")
            }
            wait = seconds
        }
        guard let body = FakeJSON.parse(request.body), case .object(let members) = body else {
            return problem(400, title: "Invalid JSON", detail: "The request body must be a JSON object.")
        }
        var invalid: [InvalidField] = members.keys.sorted().filter { !Self.allowedCreateKeys.contains($0) }.map {
            InvalidField(type: "additional_property_not_allowed", field: $0, description: "Additional property \($0) is not allowed")
        }
        let input = members["input"] ?? .null
        switch input {
        case .object: break
        case .null where members["input"] == nil:
            invalid.append(InvalidField(type: "required", field: "input", description: "input is required"))
        default:
            invalid.append(InvalidField(type: "invalid_type", field: "input", description: "Invalid type. Expected: object"))
        }
        if invalid.isEmpty, let validator = inputValidator { invalid = validator(model, input) }
        guard invalid.isEmpty else { return validationFailed(invalid) }

        let (id, progression) = state.withLock { state -> (String, Progression) in
            let id = makeID(&state)
            let script = state.scripts.isEmpty ? state.defaultScript : state.scripts.removeFirst()
            var prediction = Prediction(
                id: id, model: model, input: input, status: .starting, error: nil, logs: "", createdAt: Date(), startedAt: nil,
                completedAt: nil, dataRemoved: false, downloadGone: false, pollCount: 0, canceledByClient: false, billedUSD: 0,
                prefer: request.header("prefer"), createStatus: 201, script: script, downloadCount: 0)
            advance(&prediction, now: Date(), prices: state.prices)
            state.predictions[id] = prediction
            state.predictionOrder.append(id)
            return (id, script.progression)
        }
        if let wait {
            await waitForCompletion(id: id, seconds: wait, progression: progression)
        }
        let (prediction, api, root) = state.withLock { state -> (Prediction?, String, String) in
            if var prediction = state.predictions[id] {
                advance(&prediction, now: Date(), prices: state.prices)
                prediction.createStatus = (wait == nil || prediction.status.isTerminal) ? 201 : 202
                state.predictions[id] = prediction
            }
            let root = "http://127.0.0.1:\(state.port)"
            return (state.predictions[id], root + "/v1", root)
        }
        guard let prediction else { return problem(404, title: nil, detail: "The requested resource could not be found.") }
        return .json(
            prediction.createStatus, json(prediction, api: api, root: root),
            headers: ["Location": "\(api)/predictions/\(prediction.id)"])
    }

    /// Seconds a `Prefer` header asks to wait (`wait` is 60), nil when it does not match R-OAS's pattern.
    static func parsePrefer(_ value: String) -> Int? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if text == "wait" { return 60 }
        guard text.hasPrefix("wait="), let seconds = Int(text.dropFirst(5)), (1...60).contains(seconds),
            !text.dropFirst(5).hasPrefix("0"), !text.dropFirst(5).hasPrefix("+")
        else { return nil }
        return seconds
    }

    private func waitForCompletion(id: String, seconds: Int, progression: Progression) async {
        // Polls-driven predictions cannot progress while the client waits: answer at once.
        if case .polls = progression { return }
        var limit = Duration.seconds(seconds)
        if let cap = maxPreferWait, cap < limit { limit = cap }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, !Task.isCancelled {
            let done = state.withLock { state -> Bool in
                guard var prediction = state.predictions[id] else { return true }
                advance(&prediction, now: Date(), prices: state.prices)
                state.predictions[id] = prediction
                return prediction.status.isTerminal
            }
            if done { return }
            await fakeSleep(.milliseconds(10))
        }
    }

    private func getPrediction(id: String) -> FakeReply {
        state.withLock { state in
            guard var prediction = state.predictions[id] else {
                return problem(404, title: nil, detail: "The requested resource could not be found.")
            }
            prediction.pollCount += 1
            advance(&prediction, now: Date(), prices: state.prices)
            state.predictions[id] = prediction
            let root = "http://127.0.0.1:\(state.port)"
            return .json(200, json(prediction, api: root + "/v1", root: root))
        }
    }

    private func cancelPrediction(id: String) -> FakeReply {
        state.withLock { state in
            guard var prediction = state.predictions[id] else {
                return problem(404, title: nil, detail: "The requested resource could not be found.")
            }
            advance(&prediction, now: Date(), prices: state.prices)
            if !prediction.status.isTerminal {
                prediction.canceledByClient = true
                finish(&prediction, outcome: .canceled, now: Date(), prices: state.prices)
            }
            state.predictions[id] = prediction
            let root = "http://127.0.0.1:\(state.port)"
            return .json(200, json(prediction, api: root + "/v1", root: root))
        }
    }

    private func listPredictions(_ request: RecordedRequest) -> FakeReply {
        state.withLock { state in
            let root = "http://127.0.0.1:\(state.port)"
            let api = root + "/v1"
            let now = Date()
            for id in state.predictionOrder {
                if var prediction = state.predictions[id] {
                    advance(&prediction, now: now, prices: state.prices)
                    state.predictions[id] = prediction
                }
            }
            let ids = Array(state.predictionOrder.reversed())
            let offset = min(max(0, Int(request.query["cursor"] ?? "0") ?? 0), ids.count)
            let end = min(offset + state.pageSize, ids.count)
            let echoes = state.echoesFileInputs
            let results = ids[offset..<end].compactMap { state.predictions[$0] }.map { prediction -> FakeJSON in
                var listed = prediction
                if !echoes, case .object(var input) = prediction.input {
                    for (name, value) in input {
                        if case .string(let text) = value, text.hasPrefix("data:") || text.hasPrefix("http") {
                            input[name] = .string("https://replicate.delivery/pbxt/\(prediction.id)-\(name)/input.jpg")
                        }
                    }
                    listed.input = .object(input)
                }
                return json(listed, api: api, root: root)
            }
            let next: FakeJSON = end < ids.count ? .string("\(api)/predictions?cursor=\(end)") : .null
            let previous: FakeJSON = offset > 0 ? .string("\(api)/predictions?cursor=\(max(0, offset - state.pageSize))") : .null
            return .json(200, ["next": next, "previous": previous, "results": .array(results)])
        }
    }

    // MARK: - Progress

    /// Moves a running prediction along its script (time- and poll-driven).
    func advance(_ prediction: inout Prediction, now: Date, prices: PriceTable) {
        guard !prediction.status.isTerminal else { return }
        switch prediction.script.progression {
        case .immediate:
            finish(&prediction, outcome: prediction.script.outcome, now: now, prices: prices)
        case .polls(let count, let startingPolls):
            if prediction.pollCount >= count {
                finish(&prediction, outcome: prediction.script.outcome, now: now, prices: prices)
            } else if prediction.pollCount > startingPolls {
                begin(&prediction, now: now)
            }
        case .after(let duration):
            let total = duration.inSeconds
            let elapsed = now.timeIntervalSince(prediction.createdAt)
            if elapsed >= total {
                finish(&prediction, outcome: prediction.script.outcome, now: now, prices: prices)
            } else if elapsed >= total / 2 {
                begin(&prediction, now: now)
            }
        case .manual:
            if prediction.pollCount > 0 { begin(&prediction, now: now) }
        }
    }

    private func begin(_ prediction: inout Prediction, now: Date) {
        guard prediction.status == .starting else { return }
        prediction.status = .processing
        prediction.startedAt = now
        prediction.logs = "Starting prediction...\n"
    }

    /// Ends a prediction with `outcome`, billing it when it succeeds.
    func finish(_ prediction: inout Prediction, outcome: Outcome, now: Date, prices: PriceTable) {
        guard !prediction.status.isTerminal else { return }
        switch outcome {
        case .succeeded:
            if prediction.startedAt == nil { prediction.startedAt = now }
            prediction.billedUSD = prices.cost(model: prediction.model, input: prediction.input)
            prediction.logs += "Video generated.\n"
            switch prediction.script.expiry {
            case .none: break
            case .dataRemoved:
                prediction.dataRemoved = true
                prediction.downloadGone = true
            case .downloadGone:
                prediction.downloadGone = true
            }
        case .failed(let message):
            if prediction.startedAt == nil { prediction.startedAt = now }
            prediction.error = message
            prediction.logs += "Error: \(message)\n"
        case .canceled, .aborted:
            if prices.billsCanceledAfterStart, prediction.startedAt != nil {
                prediction.billedUSD = prices.cost(model: prediction.model, input: prediction.input)
            }
        }
        prediction.status = outcome.status
        prediction.completedAt = now
    }

    /// The wire form of a prediction (R-OAS `schemas_prediction_response`).
    func json(_ prediction: Prediction, api: String, root: String) -> FakeJSON {
        var metrics: [String: FakeJSON] = [:]
        if let completed = prediction.completedAt {
            metrics["total_time"] = .double(completed.timeIntervalSince(prediction.createdAt))
            if let started = prediction.startedAt { metrics["predict_time"] = .double(completed.timeIntervalSince(started)) }
        }
        let output: FakeJSON =
            prediction.status == .succeeded && !prediction.dataRemoved ? .string("\(root)/delivery/\(prediction.id)/out.mp4") : .null
        let getURL = "\(api)/predictions/\(prediction.id)"
        return [
            "id": .string(prediction.id),
            "model": .string(prediction.model),
            "version": "hidden",
            "input": prediction.dataRemoved ? [:] : prediction.input,
            "output": output,
            "error": .optional(prediction.error),
            "status": .string(prediction.status.rawValue),
            "created_at": .string(replicateTimestamp(prediction.createdAt)),
            "started_at": .optional(prediction.startedAt.map(replicateTimestamp)),
            "completed_at": .optional(prediction.completedAt.map(replicateTimestamp)),
            "urls": ["get": .string(getURL), "cancel": .string(getURL + "/cancel"), "web": .string("https://replicate.com/p/\(prediction.id)")],
            "metrics": .object(metrics),
            "data_removed": .bool(prediction.dataRemoved),
            "logs": .string(prediction.dataRemoved ? "" : prediction.logs),
            "source": "api",
        ]
    }
}
