import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelProviders

/// Failures of LLM pair selection.
public enum SelectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reply was still invalid after one corrective retry (the calls were still billed).
    case invalidReply(model: String, problems: [String], costUSD: Double)
    /// The model refused (the call was still billed).
    case refused(model: String, message: String, costUSD: Double)

    /// What the failed selection's calls cost, by their token usage.
    public var costUSD: Double {
        switch self {
        case .invalidReply(_, _, let cost), .refused(_, _, let cost): return cost
        }
    }

    public var description: String {
        switch self {
        case .invalidReply(let model, let problems, _):
            return "\(model) did not return valid pairs after a retry: " + problems.joined(separator: "; ")
                + " (write the pairs in the manifest under select.pairs, or try another select.model)"
        case .refused(let model, let message, _):
            return "\(model) refused to choose pairs: \(message)"
        }
    }
}

/// `select` with an OpenAI-compatible vision model: images as base64 data URLs (JPEG, at most
/// 1024 px, far under xAI's 20 MiB limit), campaign and brand in the prompt, a JSON-schema reply
/// validated here; one retry that feeds the problems back, then a clear error.
public struct LLMSelectExecutor: NodeExecutor {
    public let client: ChatCompletionsClient
    public let registry: ModelRegistry
    /// Longest image edge sent to the model.
    public static let maxEdge = 1024

    public init(client: ChatCompletionsClient, registry: ModelRegistry = .builtIn) {
        self.client = client
        self.registry = registry
    }

    public var isPaid: Bool { true }

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .select(let input) = spec.action else { throw EngineError.wrongAction(spec.id) }
        let preparer = ImagePreparer(
            runner: context.environment.runner, fileSystem: context.environment.fileSystem, temporaryRoot: context.store.layout.temporaryRoot)
        var images: [PairSelectionPrompt.Image] = []
        for candidate in input.candidates {
            let image = try await preparer.prepared(candidate.asset, expected: candidate.digest, maxEdge: LLMSelectExecutor.maxEdge, maxBytes: 20 * 1024 * 1024)
            images.append(PairSelectionPrompt.Image(id: candidate.asset.id, tags: candidate.asset.tags, dataURL: ImagePreparer.dataURL(image.data, mime: image.mime)))
        }
        let prompt = PairSelectionPrompt(images: images, count: input.settings.count, context: LLMSelectExecutor.context(input), detail: input.settings.detail)
        let model = input.settings.model
        let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in context.events(.retrying(spec.id, attempt: attempt, reason: reason)) }
        var messages = [prompt.systemMessage, prompt.userMessage]
        var usage = TokenUsage.zero
        var answeredBy: String?
        var problems: [String] = []
        for attempt in 1...2 {
            let reply = try await client.complete(model: model, messages: messages, schemaName: ChatCompletionsClient.schemaName, schema: prompt.schema, onRetry: onRetry)
            usage = usage + reply.usage
            answeredBy = reply.model ?? answeredBy
            if let refusal = reply.refusal, !refusal.isEmpty {
                throw SelectionError.refused(model: model, message: refusal, costUSD: cost(usage, model: model))
            }
            var result = prompt.validate(reply.content)
            if reply.finishReason == "length", case .failure(let found) = result {
                result = .failure(PairReplyProblems(found.problems + ["the reply was cut off (finish_reason length); keep reasoning short"]))
            }
            switch result {
            case .success(let pairs):
                let selection = Selection(pairs: pairs.map {
                    SelectedPair(first: $0.first, last: $0.last, score: $0.score, reasoning: $0.reasoning, prompt: $0.prompt)
                })
                let output = try await context.storeData(selection.canonicalData(), as: NodeKind.select.outputName)
                let cost = cost(usage, model: model)
                return ActionOutcome(outputs: [output], metadata: [
                    "provider": "openai-compatible", "model": .string(model), "answered_by": .string(answeredBy ?? model),
                    "prompt_tokens": .int(usage.prompt), "completion_tokens": .int(usage.completion), "total_tokens": .int(usage.total),
                    "attempts": .int(attempt), "cost_usd": .decimal(cost), "cost_is_estimate": true,
                ])
            case .failure(let found):
                problems = found.problems
                if attempt < 2 { context.events(.retrying(spec.id, attempt: attempt + 1, reason: "invalid reply: \(found.description)")) }
                messages.append(ChatMessage(role: "assistant", text: reply.content ?? ""))
                messages.append(prompt.correction(found))
            }
        }
        throw SelectionError.invalidReply(model: model, problems: problems, costUSD: cost(usage, model: model))
    }

    /// USD for `usage` at the registry's (or the manifest's) token prices.
    func cost(_ usage: TokenUsage, model: String) -> Double {
        let price = registry.selectorPrice(for: model)
        return (Double(usage.prompt) * price.usdPerMillionInput + Double(usage.completion) * price.usdPerMillionOutput) / 1_000_000
    }

    /// Campaign and brand lines for the prompt.
    static func context(_ input: SelectInput) -> [(String, String)] {
        var lines: [(String, String)] = []
        let campaign = input.campaign
        if let name = campaign.name { lines.append(("Campaign", name)) }
        if let goal = campaign.goal { lines.append(("Goal", goal)) }
        if let audience = campaign.audience { lines.append(("Audience", audience)) }
        if let url = campaign.productURL { lines.append(("Product", url)) }
        let brand = input.brand
        if let name = brand.name { lines.append(("Brand", name)) }
        if let voice = brand.voice { lines.append(("Brand voice", voice)) }
        if !brand.colors.isEmpty { lines.append(("Brand colours", brand.colors.joined(separator: ", "))) }
        if !brand.dos.isEmpty { lines.append(("Do", brand.dos.joined(separator: "; "))) }
        if !brand.avoid.isEmpty { lines.append(("Avoid", brand.avoid.joined(separator: "; "))) }
        return lines
    }
}
