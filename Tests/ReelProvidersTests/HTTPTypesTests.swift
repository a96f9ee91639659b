import Foundation
import ReelProviders
import Testing

@Suite struct HTTPTypesTests {
    @Test func headersAreCaseInsensitive() {
        let response = HTTPResponse(status: 429, headers: ["Retry-After": "3"])
        #expect(response.header("retry-after") == "3")
        #expect(response.header("RETRY-AFTER") == "3")
    }
}
