import Foundation

/// The one source of "now" (DESIGN: one clock). Core never reads it: decisions take `now` as a parameter. The App
/// holds one (`app.clock`, `req.now`) for every handler, job and use case, and tests set their own, so nothing
/// depends on the day a test runs.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public var now: Date { read() }

    /// The system's time.
    public static let system = WallClock { Date() }

    /// Always the same instant.
    public static func fixed(_ instant: Date) -> WallClock { WallClock { instant } }
}
