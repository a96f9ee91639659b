import ReelBasics

/// What the LLM selector sends besides the campaign's own data: the prompt text, the reply schema,
/// the sampling temperature and how images are prepared. Part of the select key, so editing any
/// of them re-runs selection. The engine derives it from the request types themselves
/// (`LLMSelectExecutor.requestShape`); ReelGraph only carries it.
public struct SelectorRequestShape: Sendable, Equatable {
    /// Canonical parameters, e.g. `prompt`, `schema` (digests of the rendered texts), `temperature`.
    public var parameters: [String: CanonicalValue]

    public init(parameters: [String: CanonicalValue]) {
        self.parameters = parameters
    }
}
