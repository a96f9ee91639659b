import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// The manifest JSON Schema (`schemas/reel-manifest.schema.json`, what editors check through
/// yaml-language-server) and `ManifestParser` (what `reel` checks) must agree.
///
/// - Every manifest in `Corpus/valid` and every `manifests/*/reel.yaml` is accepted by both.
/// - Every manifest in `Corpus/invalid` is rejected by both: the parser with an error containing
///   the file's `# expect: <substring>` line, the schema (PyYAML + jsonschema, through
///   `scripts/check-schema.py`) with an error at the file's `# schema-at: <JSON pointer>` line
///   when it has one.
///
/// Needs python3 with `jsonschema` and `yaml` (`scripts/install-deps.sh --test`); without them
/// these tests fail rather than skip.
@Suite struct SchemaAgreementTests {
    static let root = Fixtures.packageRoot
    static let corpus = "Tests/ReelManifestTests/Corpus"
    static let schema = "schemas/reel-manifest.schema.json"
    static let script = "scripts/check-schema.py"

    /// Package-relative paths of manifests both sides must accept.
    static let validFiles: [String] = yamlFiles(in: "\(corpus)/valid") + exampleManifests()
    /// Package-relative paths of manifests both sides must reject.
    static let invalidFiles: [String] = yamlFiles(in: "\(corpus)/invalid")

    /// What the schema says about every file, from one run of the script. A task, so the tests
    /// wait for it without blocking a cooperative thread (a lazy `static let` would hold every
    /// thread that reads it for as long as python runs, starving other suites' in-process servers).
    static let verdicts = Task<Result<[String: SchemaVerdict], SchemaCheckFailure>, Never> { await checkSchema(validFiles + invalidFiles) }

    // MARK: Tests

    @Test func corpusIsInPlace() {
        #expect(Self.validFiles.filter { $0.hasPrefix(Self.corpus) }.count >= 8, "Corpus/valid should hold at least 8 manifests")
        #expect(Self.invalidFiles.count >= 40, "Corpus/invalid should hold at least 40 manifests")
        #expect(Self.validFiles.contains("manifests/demo/reel.yaml"))
        #expect(FileManager.default.fileExists(atPath: Self.root.appending(Self.schema).pathString))
    }

    @Test func schemaCheckerRuns() async {
        if case .failure(let failure) = await Self.verdicts.value {
            Issue.record("\(failure.message)")
        }
    }

    @Test(arguments: validFiles)
    func acceptedByParserAndSchema(_ file: String) async throws {
        let text = try Self.read(file)
        let outcome = ManifestParser.parse(text: text, file: file)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(outcome.manifest != nil && errors.isEmpty, "the parser rejects \(file):\n\(errors.joined(separator: "\n"))")

        let verdict = try #require(try await Self.verdict(for: file))
        #expect(verdict.valid, "the schema rejects \(file):\n\(verdict.errors.joined(separator: "\n"))")
    }

    @Test(arguments: invalidFiles)
    func rejectedByParserAndSchema(_ file: String) async throws {
        let text = try Self.read(file)
        let header = Self.header(of: text)
        let expected = try #require(header["expect"], "\(file) must start with a line '# expect: <part of the parser's error>'")

        let outcome = ManifestParser.parse(text: text, file: file)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(outcome.manifest == nil, "the parser accepts \(file)")
        #expect(!errors.isEmpty, "the parser reports no error for \(file)")
        #expect(
            errors.contains { $0.contains(expected) },
            "no parser error for \(file) contains \"\(expected)\"; got:\n\(errors.joined(separator: "\n"))")

        let verdict = try #require(try await Self.verdict(for: file))
        #expect(!verdict.valid, "the schema accepts \(file), which the parser rejects with: \(errors.joined(separator: "; "))")
        if !verdict.valid, let pointer = header["schema-at"] {
            #expect(
                verdict.errors.contains { $0.hasPrefix("\(pointer): ") },
                "no schema error for \(file) is at \(pointer); got:\n\(verdict.errors.joined(separator: "\n"))")
        }
    }

    // MARK: Helpers

    static func yamlFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appending(directory).pathString)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
    }

    /// `manifests/<campaign>/reel.yaml` for every example campaign in the repository.
    static func exampleManifests() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appending("manifests").pathString)) ?? []
        return names.sorted().map { "manifests/\($0)/reel.yaml" }
            .filter { FileManager.default.fileExists(atPath: root.appending($0).pathString) }
    }

    static func read(_ file: String) throws -> String {
        try String(contentsOfFile: root.appending(file).pathString, encoding: .utf8)
    }

    /// The `# key: value` comment lines at the top of a file.
    static func header(of text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("#") else { break }
            let body = line.dropFirst().drop { $0 == " " }
            guard let colon = body.firstIndex(of: ":") else { continue }
            let key = String(body[..<colon])
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = value }
        }
        return fields
    }

    /// The schema's verdict on `file`; throws when the checker could not run.
    static func verdict(for file: String) async throws -> SchemaVerdict? {
        switch await verdicts.value {
        case .failure(let failure):
            throw failure
        case .success(let all):
            let verdict = all[root.appending(file).pathString]
            if verdict == nil { Issue.record("check-schema.py printed no verdict for \(file)") }
            return verdict
        }
    }

    /// Runs `python3 scripts/check-schema.py SCHEMA FILE...` once, keyed by absolute path.
    static func checkSchema(_ files: [String]) async -> Result<[String: SchemaVerdict], SchemaCheckFailure> {
        let hint = "install python3 with its jsonschema and yaml modules: scripts/install-deps.sh --test"
        let paths = files.map { root.appending($0).pathString }
        let outcome: ProcessOutcome
        do {
            outcome = try await runProcess(
                "python3", [root.appending(script).pathString, root.appending(schema).pathString] + paths, in: root, timeout: 300)
        } catch {
            return .failure(SchemaCheckFailure("cannot run /usr/bin/env python3 \(script): \(error); \(hint)"))
        }
        let errorText = outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let stdout = outcome.stdoutData
        switch outcome.exitCode {
        case 0:
            break
        case 127:
            return .failure(SchemaCheckFailure("python3 was not found on PATH (\(errorText)); \(hint)"))
        case 3:
            return .failure(SchemaCheckFailure("python3 lacks a module check-schema.py needs: \(errorText)"))
        case let status:
            return .failure(SchemaCheckFailure("\(script) exited with status \(status): \(errorText)"))
        }
        var verdicts: [String: SchemaVerdict] = [:]
        for line in stdout.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            do {
                let verdict = try JSONDecoder().decode(SchemaVerdict.self, from: Data(line))
                verdicts[verdict.file] = verdict
            } catch {
                return .failure(SchemaCheckFailure("\(script) printed a line that is not a verdict: \(String(decoding: line, as: UTF8.self))"))
            }
        }
        return .success(verdicts)
    }
}

/// One line of `check-schema.py` output.
struct SchemaVerdict: Decodable, Sendable {
    var file: String
    var valid: Bool
    var errors: [String]
}

/// Why the schema could not be checked.
struct SchemaCheckFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
