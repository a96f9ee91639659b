import Foundation
import ReelBasics
import ReelEngine
import ReelTestSupport
import Testing

/// `ProjectPaths.ledgerLocation`: a file or a shared database, from the flag or the environment
/// (never the manifest), shown without its password.
@Suite struct LedgerLocationTests {
    func resolve(flag: String? = nil, variables: [String: String] = [:]) throws -> ProjectPaths {
        let root = try #require(AbsolutePath("/project"))
        let environment = BuildEnvironment(fileSystem: InMemoryFileSystem(), runner: FakeProcessRunner(), variables: variables)
        return ProjectPaths.resolve(from: root, overrides: ProjectPaths.Overrides(ledger: flag), environment: environment, workingDirectory: root)
    }

    @Test func theDefaultIsTheProjectsSQLiteFile() throws {
        let paths = try resolve()
        #expect(paths.ledgerLocation == .file(paths.ledger))
        #expect(paths.ledger.pathString.hasSuffix(".reel/ledger.sqlite"))
    }

    @Test func aURLFromTheFlagOrTheEnvironmentNamesADatabase() throws {
        let url = "postgres://reel:hunter2@db.internal:5432/reel?sslmode=require"
        #expect(try resolve(flag: url).ledgerLocation == .database(url: url, setting: "--ledger"))
        #expect(try resolve(variables: ["REEL_LEDGER_URL": url]).ledgerLocation == .database(url: url, setting: "REEL_LEDGER_URL"))
        // The flag wins over the environment, a file flag included.
        #expect(try resolve(flag: "ci/ledger.sqlite", variables: ["REEL_LEDGER_URL": url]).ledgerLocation
            == .file(try #require(AbsolutePath("/project/ci/ledger.sqlite"))))
        // With a database in force, the file path stays the project default (never the URL).
        #expect(try resolve(flag: url).ledger.pathString == "/project/.reel/ledger.sqlite")
    }

    @Test func theDescriptionNeverShowsThePassword() throws {
        let location = LedgerLocation.database(url: "postgresql://reel:hunter2@db:5432/reel", setting: "REEL_LEDGER_URL")
        #expect(location.description == "postgresql://reel:***@db:5432/reel (REEL_LEDGER_URL)")
        #expect(LedgerLocation.redacted("postgres://reel@db/reel") == "postgres://reel@db/reel")
        #expect(LedgerLocation.redacted("postgres://u:p@ss:w@rd@db/x") == "postgres://u:***@db/x")
    }
}
