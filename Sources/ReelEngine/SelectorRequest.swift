import Foundation
import ReelBasics
import ReelGraph
import ReelProviders

extension LLMSelectExecutor {
    /// The select key's request parameters, derived by rendering the real request types on a fixed
    /// probe: any edit to the system or user prompt text, the reply schema, the temperature or the
    /// image preparation changes them (and so the key) — a stale selection is never reused.
    public static let requestShape: SelectorRequestShape = {
        let images = [
            PairSelectionPrompt.Image(id: "image-a", tags: ["tag"], dataURL: "data:image/jpeg;base64,AA=="),
            PairSelectionPrompt.Image(id: "image-b", tags: [], dataURL: "data:image/jpeg;base64,AA=="),
        ]
        let probes = [
            PairSelectionPrompt(images: images, count: 1, context: [("goal", "goal")], detail: "low"),
            PairSelectionPrompt(images: images, count: nil, context: [("goal", "goal")], detail: "low"),
        ]
        var prompt = ""
        var schema = ""
        for probe in probes {
            prompt += render(probe.systemMessage) + "\n" + render(probe.userMessage) + "\n"
            schema += canonicalJSON(probe.schema) + "\n"
        }
        return SelectorRequestShape(parameters: [
            "prompt_version": .string(PairSelectionPrompt.version),
            "prompt": .string(Digest.of(string: prompt).description),
            "schema": .string(Digest.of(string: ChatCompletionsClient.schemaName + "\n" + schema).description),
            "temperature": .int(ChatCompletionsClient.temperature),
            "image_max_edge": .int(maxEdge),
            "image_jpeg_quality": .int(ImagePreparer.jpegQuality),
        ])
    }()

    private static func render(_ message: ChatMessage) -> String {
        canonicalJSON(message.json)
    }

    private static func canonicalJSON(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
