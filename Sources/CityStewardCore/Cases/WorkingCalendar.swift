import Foundation

/// A civil date in the calendar's zone (no time, no zone).
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
        guard LocalDate(dayNumber: dayNumber) == self else { return nil }   // rejects 2026-02-30
    }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// 1 = Monday … 7 = Sunday (ISO 8601).
    public var isoWeekday: Int { ((dayNumber % 7 + 7 + 3) % 7) + 1 }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.dayNumber < b.dayNumber }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }
}

/// The published public holidays and swapped workdays of one year (data, not code: see
/// Resources/Calendars/china-holidays.json).
public struct HolidayYear: Sendable, Equatable {
    public var year: Int
    public var holidays: [(first: LocalDate, last: LocalDate, name: String)]
    public var workdays: Set<LocalDate>

    public init(year: Int, holidays: [(first: LocalDate, last: LocalDate, name: String)], workdays: Set<LocalDate>) {
        self.year = year
        self.holidays = holidays
        self.workdays = workdays
    }

    public static func == (a: HolidayYear, b: HolidayYear) -> Bool {
        a.year == b.year && a.workdays == b.workdays
            && a.holidays.map { "\($0.first)\($0.last)\($0.name)" } == b.holidays.map { "\($0.first)\($0.last)\($0.name)" }
    }
}

/// The working calendar deadlines run on: a fixed-offset zone (Asia/Shanghai has no daylight saving), daily working
/// periods, and per year the published holidays and swapped workdays. A year without published data is
/// provisional: Monday to Friday are working days. Pure arithmetic: no clock, no Foundation calendar.
public struct WorkingCalendar: Sendable {
    /// Seconds east of UTC (Asia/Shanghai: 8 h).
    public let utcOffset: Int
    /// Working periods of a working day, seconds after local midnight, sorted and disjoint.
    public let periods: [(start: Int, end: Int)]
    public let years: [Int: HolidayYear]
    private let holidayDays: Set<Int>
    private let extraWorkdays: Set<Int>

    public init(utcOffset: Int = BeijingTime.utcOffset, periods: [(start: Int, end: Int)] = WorkingCalendar.officeHours, years: [HolidayYear]) {
        self.utcOffset = utcOffset
        self.periods = periods.sorted { $0.start < $1.start }
        self.years = Dictionary(uniqueKeysWithValues: years.map { ($0.year, $0) })
        var holidays = Set<Int>(), workdays = Set<Int>()
        for year in years {
            for h in year.holidays { for d in h.first.dayNumber...h.last.dayNumber { holidays.insert(d) } }
            for w in year.workdays { workdays.insert(w.dayNumber) }
        }
        holidayDays = holidays
        extraWorkdays = workdays
    }

    /// 09:00–12:00 and 14:00–18:00.
    public static let officeHours: [(start: Int, end: Int)] = [(9 * 3600, 12 * 3600), (14 * 3600, 18 * 3600)]

    /// Working seconds in one working day (7 h for office hours).
    public var secondsPerWorkingDay: Int { periods.map { $0.end - $0.start }.reduce(0, +) }

    public func isProvisional(year: Int) -> Bool { years[year] == nil }

    public func isWorkingDay(_ date: LocalDate) -> Bool {
        let n = date.dayNumber
        if extraWorkdays.contains(n) { return true }
        if holidayDays.contains(n) { return false }
        return !date.isWeekend
    }

    /// The holiday's name when the date is inside a published holiday.
    public func holidayName(_ date: LocalDate) -> String? {
        years[date.year]?.holidays.first { $0.first <= date && date <= $0.last }?.name
    }

    public func localDate(_ instant: Date) -> LocalDate {
        LocalDate(dayNumber: split(instant).day)
    }

    private func split(_ instant: Date) -> (day: Int, second: Double) {
        let local = instant.timeIntervalSince1970 + Double(utcOffset)
        let day = Int((local / 86_400).rounded(.down))
        return (day, local - Double(day) * 86_400)
    }

    private func instant(day: Int, second: Double) -> Date {
        Date(timeIntervalSince1970: Double(day) * 86_400 + second - Double(utcOffset))
    }

    /// The instant `seconds` of working time after `start`. A start outside working time begins at the next
    /// working period. Never earlier than `start`; zero seconds gives `start` itself.
    public func adding(workingSeconds seconds: Double, to start: Date) -> Date {
        guard seconds > 0, secondsPerWorkingDay > 0 else { return start }
        var remaining = seconds
        var (day, second) = split(start)
        // Whole working days are skipped day by day; at most a few hundred iterations for any real limit.
        var guardDays = 0
        while guardDays < 366 * 20 {
            if isWorkingDay(LocalDate(dayNumber: day)) {
                for period in periods {
                    let from = max(second, Double(period.start))
                    let available = Double(period.end) - from
                    guard available > 0 else { continue }
                    if remaining <= available { return instant(day: day, second: from + remaining) }
                    remaining -= available
                }
            }
            day += 1
            second = 0
            guardDays += 1
        }
        return instant(day: day, second: second)
    }

    public func adding(workingHours hours: Double, to start: Date) -> Date { adding(workingSeconds: hours * 3600, to: start) }

    /// N working days = N days' worth of working time, so a case filed at 10:00 with one working day is due at
    /// 10:00 on the next working day.
    public func adding(workingDays days: Double, to start: Date) -> Date {
        adding(workingSeconds: days * Double(secondsPerWorkingDay), to: start)
    }

    /// Working seconds between two instants (0 when `end` is not after `start`): the clock of a case.
    public func workingSeconds(from start: Date, to end: Date) -> Double {
        guard end > start else { return 0 }
        let (d0, s0) = split(start), (d1, s1) = split(end)
        var total = 0.0
        for day in d0...d1 where isWorkingDay(LocalDate(dayNumber: day)) {
            let lower = day == d0 ? s0 : 0, upper = day == d1 ? s1 : 86_400
            for period in periods {
                let a = max(lower, Double(period.start)), b = min(upper, Double(period.end))
                if b > a { total += b - a }
            }
        }
        return total
    }
}

/// Reads the calendar file (Resources/Calendars/china-holidays.json).
public enum WorkingCalendarData {
    struct File: Decodable {
        var utcOffsetHours: Int
        var workingHours: [[String]]
        var years: [String: Year]
        struct Year: Decodable {
            var holidays: [[String]]
            var workdays: [String]
        }
    }

    public static func decode(_ data: Data) throws(DomainError) -> WorkingCalendar {
        let bad = { (what: String) in DomainError.invalid("calendar", zh: "日历数据有误：\(what)", en: "calendar data is invalid: \(what)") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch { throw bad("not the expected JSON") }
        func seconds(_ text: String) throws(DomainError) -> Int {
            let p = text.split(separator: ":")
            guard p.count == 2, let h = Int(p[0]), let m = Int(p[1]), (0...24).contains(h), (0..<60).contains(m) else { throw bad(text) }
            return h * 3600 + m * 60
        }
        var periods: [(start: Int, end: Int)] = []
        for pair in file.workingHours {
            guard pair.count == 2 else { throw bad("working hours") }
            let start = try seconds(pair[0]), end = try seconds(pair[1])
            guard end > start else { throw bad("\(pair[0])–\(pair[1])") }
            periods.append((start, end))
        }
        var years: [HolidayYear] = []
        for (key, value) in file.years {
            guard let year = Int(key) else { throw bad(key) }
            var holidays: [(first: LocalDate, last: LocalDate, name: String)] = []
            for h in value.holidays {
                guard h.count == 3, let a = LocalDate(h[0]), let b = LocalDate(h[1]), a <= b, a.year == year || b.year == year else { throw bad(h.joined(separator: " ")) }
                holidays.append((a, b, h[2]))
            }
            var workdays = Set<LocalDate>()
            for w in value.workdays {
                guard let d = LocalDate(w) else { throw bad(w) }
                workdays.insert(d)
            }
            years.append(HolidayYear(year: year, holidays: holidays, workdays: workdays))
        }
        return WorkingCalendar(utcOffset: file.utcOffsetHours * 3600, periods: periods, years: years)
    }
}
