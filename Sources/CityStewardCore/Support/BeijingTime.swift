import Foundation

/// Beijing time (Asia/Shanghai): UTC+8 all year, no daylight saving since 1991. Times are stored in UTC; days,
/// months, working hours and everything shown to people are Beijing's. The offset is written here only.
public enum BeijingTime {
    public static let utcOffset = 8 * 3600

    /// Seconds since the Unix epoch on Beijing's wall clock, split into the day and the second of that day.
    static func split(_ instant: Date) -> (day: Int, second: Int) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + utcOffset
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (day, seconds - day * 86_400)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }

    /// `2026-03-02 14:30`, for pages and messages.
    public static func minute(_ instant: Date) -> String {
        let (day, s) = split(instant)
        return LocalDate(dayNumber: day).description + " " + two(s / 3600) + ":" + two(s % 3600 / 60)
    }

    /// `2026-03-02T14:30:00+08:00`: W3C datetime with the offset (Open311 wants an explicit zone).
    public static func w3c(_ instant: Date) -> String {
        let (day, s) = split(instant)
        return LocalDate(dayNumber: day).description + "T" + two(s / 3600) + ":" + two(s % 3600 / 60) + ":" + two(s % 60) + "+08:00"
    }
}

extension LocalDate {
    /// Beijing midnight at the start of the day, as an instant.
    public var beijingMidnight: Date { Date(timeIntervalSince1970: Double(dayNumber * 86_400 - BeijingTime.utcOffset)) }

    /// The Beijing day an instant falls on.
    public static func beijing(_ instant: Date) -> LocalDate { LocalDate(dayNumber: BeijingTime.split(instant).day) }
}

/// Times in the API and in stored details: ISO 8601 in UTC.
public enum UTCTime {
    /// `2026-03-02T06:30:00Z`. Written by hand: a Foundation date formatter costs more to create than the rest of an
    /// intake request.
    public static func iso(_ instant: Date) -> String {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let s = seconds - day * 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return LocalDate(dayNumber: day).description + "T" + two(s / 3600) + ":" + two(s % 3600 / 60) + ":" + two(s % 60) + "Z"
    }
}
