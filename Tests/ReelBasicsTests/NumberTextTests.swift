import Foundation
import ReelBasics
import Testing

@Suite struct NumberTextTests {
    /// Node keys (a combine node's `clip/0007` inputs) and file names depend on these bytes.
    @Test(arguments: [1, 2, 4, 6])
    func zeroPaddedWritesWhatPrintfWrites(width: Int) {
        for value in [0, 1, 7, 9, 10, 99, 100, 999, 1_000, 9_999, 10_000, 123_456, -1, -42, -10_000, Int.max, Int.min + 1] {
            #expect(NumberText.zeroPadded(value, width: width) == String(format: "%0\(width)ld", value), "\(value) width \(width)")
        }
    }
}
