import Foundation
import ReelBasics
import ReelProviders
import ReelRemoteCache
import Testing

@Suite struct RemoteCacheConfigurationTests {
    @Test func nothingConfiguredIsNoRemote() throws {
        #expect(try RemoteCacheConfiguration.from(environment: [:], flags: RemoteCacheFlags()) == nil)
        #expect(try RemoteCacheConfiguration.from(environment: ["REEL_REMOTE_CACHE": "http://127.0.0.1:1"], flags: RemoteCacheFlags(disabled: true)) == nil)
    }

    @Test func theFlagWinsOverTheEnvironmentAndTrailingSlashesGo() throws {
        let configuration = try #require(
            try RemoteCacheConfiguration.from(
                environment: ["REEL_REMOTE_CACHE": "https://env.example.com/a"], flags: RemoteCacheFlags(url: "https://flag.example.com/reel/")))
        #expect(configuration.displayURL == "https://flag.example.com/reel")
        #expect(configuration.source == "--remote-cache")
        #expect(configuration.headers.isEmpty)
    }

    @Test func readsAlwaysWritesWhenAskedOrOnCI() throws {
        let url = ["REEL_REMOTE_CACHE": "https://cache.example.com"]
        let laptop = try #require(try RemoteCacheConfiguration.from(environment: url, flags: RemoteCacheFlags()))
        #expect(!laptop.uploads)
        #expect(laptop.description == "remote cache https://cache.example.com (read-only: pass --remote-upload to write)")
        let asked = try #require(try RemoteCacheConfiguration.from(environment: url, flags: RemoteCacheFlags(upload: true)))
        #expect(asked.uploads && asked.uploadsReason == "--remote-upload")
        let ci = try #require(try RemoteCacheConfiguration.from(environment: url.merging(["CI": "true"]) { $1 }, flags: RemoteCacheFlags()))
        #expect(ci.uploads && ci.uploadsReason == "CI is set")
        let ciFalse = try #require(try RemoteCacheConfiguration.from(environment: url.merging(["CI": "false"]) { $1 }, flags: RemoteCacheFlags()))
        #expect(!ciFalse.uploads)
        let ciOptOut = try #require(try RemoteCacheConfiguration.from(environment: url.merging(["CI": "1"]) { $1 }, flags: RemoteCacheFlags(upload: false)))
        #expect(!ciOptOut.uploads)
    }

    @Test func basicAuthFromTheURLIsAHeaderAndNeverShown() throws {
        let configuration = try #require(
            try RemoteCacheConfiguration.from(environment: ["REEL_REMOTE_CACHE": "https://ci:s3cr%40t-pass@cache.example.com:8443/reel"], flags: RemoteCacheFlags()))
        #expect(configuration.displayURL == "https://cache.example.com:8443/reel")
        #expect(configuration.headers.map(\.name) == ["Authorization"])
        #expect(configuration.headers[0].value == Secret(variable: "REEL_REMOTE_CACHE", value: "Basic " + Data("ci:s3cr@t-pass".utf8).base64EncodedString()))
        for shown in [configuration.description, "\(configuration)", String(reflecting: configuration)] {
            #expect(!shown.contains("s3cr"))
            #expect(!shown.contains(Data("ci:s3cr@t-pass".utf8).base64EncodedString()))
        }
    }

    @Test func headerVariablesBecomeHeaders() throws {
        let configuration = try #require(
            try RemoteCacheConfiguration.from(
                environment: [
                    "REEL_REMOTE_CACHE": "https://cache.example.com",
                    "REEL_REMOTE_CACHE_HEADER_AUTHORIZATION": "Bearer tok-123456",
                    "REEL_REMOTE_CACHE_HEADER_X_API_KEY": "k-999999",
                ], flags: RemoteCacheFlags()))
        #expect(configuration.headers.map(\.name) == ["Authorization", "X-Api-Key"])
        #expect(configuration.headers.map(\.value.variable) == ["REEL_REMOTE_CACHE_HEADER_AUTHORIZATION", "REEL_REMOTE_CACHE_HEADER_X_API_KEY"])
        #expect(!"\(configuration)".contains("tok-123456"))
    }

    @Test func badSettingsAreErrorsNamingTheSettingNotTheValue() {
        func problem(_ environment: [String: String], _ flags: RemoteCacheFlags = RemoteCacheFlags()) -> String {
            do {
                _ = try RemoteCacheConfiguration.from(environment: environment, flags: flags)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let ftp = problem(["REEL_REMOTE_CACHE": "ftp://cache.example.com"])
        #expect(ftp.contains("REEL_REMOTE_CACHE") && ftp.contains("http"))
        let clear = problem(["REEL_REMOTE_CACHE": "http://user:hunter22@cache.example.com"])
        #expect(clear.contains("https") && !clear.contains("hunter22"))
        let clearHeader = problem(["REEL_REMOTE_CACHE": "http://cache.example.com", "REEL_REMOTE_CACHE_HEADER_AUTHORIZATION": "Bearer hunter22"])
        #expect(clearHeader.contains("REEL_REMOTE_CACHE_HEADER_AUTHORIZATION") && !clearHeader.contains("hunter22"))
        let query = problem([:], RemoteCacheFlags(url: "https://cache.example.com/?token=hunter22"))
        #expect(query.contains("--remote-cache") && !query.contains("hunter22"))
        let badName = problem(["REEL_REMOTE_CACHE": "https://cache.example.com", "REEL_REMOTE_CACHE_HEADER_X__Y": "v"])
        #expect(badName.contains("REEL_REMOTE_CACHE_HEADER_X__Y"))
        let newline = problem(["REEL_REMOTE_CACHE": "https://cache.example.com", "REEL_REMOTE_CACHE_HEADER_TOKEN": "a\r\nInjected: 1"])
        #expect(newline.contains("REEL_REMOTE_CACHE_HEADER_TOKEN") && !newline.contains("Injected"))
        let timeout = problem(["REEL_REMOTE_CACHE": "https://cache.example.com", "REEL_REMOTE_CACHE_TIMEOUT": "soon"])
        #expect(timeout.contains("REEL_REMOTE_CACHE_TIMEOUT"))
    }

    @Test func plainHTTPWithCredentialsIsFineOnLoopback() throws {
        let configuration = try #require(
            try RemoteCacheConfiguration.from(environment: ["REEL_REMOTE_CACHE": "http://u:p4ssw0rd@127.0.0.1:8080"], flags: RemoteCacheFlags()))
        #expect(configuration.headers.count == 1)
    }
}
