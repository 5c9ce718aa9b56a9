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

    /// A time as people and clients write it: `2026-12-10 14:30` or `2026-12-10T14:30` on Beijing's clock (what a
    /// form's date-time field sends), with seconds or not, or with its zone (`Z`, `+08:00`, `+0800`). Nil for
    /// anything else.
    public static func parse(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.count >= 16, let day = LocalDate(String(t.prefix(10))) else { return nil }
        let chars = Array(t)
        guard chars[10] == "T" || chars[10] == " " || chars[10] == "t" else { return nil }
        var rest = chars[11...]
        func number(_ n: Int) -> Int? {
            guard rest.count >= n, rest.prefix(n).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            let v = Int(String(rest.prefix(n)))
            rest = rest.dropFirst(n)
            return v
        }
        guard let h = number(2), rest.first == ":" else { return nil }
        rest = rest.dropFirst()
        guard let m = number(2), h < 24, m < 60 else { return nil }
        var sec = 0
        if rest.first == ":" {
            rest = rest.dropFirst()
            guard let s = number(2), s < 60 else { return nil }
            sec = s
            if rest.first == "." { rest = rest.drop(while: { $0 == "." || ($0.isASCII && $0.isNumber) }) }
        }
        var offset = utcOffset
        if let z = rest.first {
            if z == "Z" || z == "z" {
                offset = 0
                rest = rest.dropFirst()
            } else if z == "+" || z == "-" {
                rest = rest.dropFirst()
                guard let oh = number(2) else { return nil }
                if rest.first == ":" { rest = rest.dropFirst() }
                guard let om = number(2), oh < 15, om < 60 else { return nil }
                offset = (z == "+" ? 1 : -1) * (oh * 3600 + om * 60)
            }
        }
        guard rest.isEmpty else { return nil }
        return Date(timeIntervalSince1970: Double(day.dayNumber * 86_400 + h * 3600 + m * 60 + sec - offset))
    }

    /// `2026-12-10T14:30`: what a form's date-time field shows for an instant (Beijing's clock).
    public static func inputValue(_ instant: Date) -> String {
        let (day, s) = split(instant)
        return LocalDate(dayNumber: day).description + "T" + two(s / 3600) + ":" + two(s % 3600 / 60)
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
