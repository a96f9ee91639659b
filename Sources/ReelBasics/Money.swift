import Foundation

/// Formats money for people (`$0.27`); callers label estimates as such.
public func usd(_ value: Double) -> String {
    String(format: "$%.2f", value)
}
