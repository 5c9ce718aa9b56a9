import CityStewardCore
import Foundation
import Testing

@Suite("Working calendar")
struct WorkingCalendarTests {
    static let calendar: WorkingCalendar = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources/Calendars/china-holidays.json")
        return try! WorkingCalendarData.decode(Data(contentsOf: url))
    }()

    /// An instant given in Shanghai local time.
    func shanghai(_ date: String, _ hour: Int, _ minute: Int = 0) -> Date {
        let d = LocalDate(date)!
        return Date(timeIntervalSince1970: Double(d.dayNumber * 86_400 + hour * 3600 + minute * 60 - 8 * 3600))
    }

    @Test func civilDates() {
        #expect(LocalDate("1970-01-01")!.dayNumber == 0)
        #expect(LocalDate("2026-11-29")!.isoWeekday == 7)   // a Sunday
        #expect(LocalDate("2026-02-16")!.isoWeekday == 1)
        #expect(LocalDate("2026-02-30") == nil)
        #expect(LocalDate("2024-02-29") != nil)
        for n in stride(from: -800_000, to: 800_000, by: 997) { #expect(LocalDate(dayNumber: n).dayNumber == n) }
    }

    @Test func publishedHolidaysAndSwappedWorkdays() {
        let c = Self.calendar
        #expect(!c.isWorkingDay(LocalDate("2026-02-16")!))           // 春节, a Monday
        #expect(c.holidayName(LocalDate("2026-02-16")!) == "春节")
        #expect(c.isWorkingDay(LocalDate("2026-02-14")!))            // Saturday made a workday
        #expect(c.isWorkingDay(LocalDate("2026-10-10")!))
        #expect(!c.isWorkingDay(LocalDate("2026-10-05")!))
        #expect(c.isWorkingDay(LocalDate("2025-01-26")!))            // a Sunday made a workday
        #expect(!c.isWorkingDay(LocalDate("2026-11-29")!))           // an ordinary Sunday
        #expect(c.isWorkingDay(LocalDate("2026-11-30")!))
        #expect(!c.isProvisional(year: 2026))
        #expect(c.isProvisional(year: 2027))
        #expect(!c.isWorkingDay(LocalDate("2027-01-02")!))           // provisional: weekends only
        #expect(c.isWorkingDay(LocalDate("2027-02-08")!))            // (春节 2027 is not published yet)
    }

    @Test func workingHoursSkipLunchNightsAndWeekends() {
        let c = Self.calendar
        // Friday 2026-11-27 16:00 + 4 working hours: 2 h on Friday, then Monday 09:00 + 2 h.
        #expect(c.adding(workingHours: 4, to: shanghai("2026-11-27", 16)) == shanghai("2026-11-30", 11))
        // 11:00 + 2 h crosses lunch: 12:00 stop, resume 14:00, due 15:00.
        #expect(c.adding(workingHours: 2, to: shanghai("2026-11-30", 11)) == shanghai("2026-11-30", 15))
        // Reported at night: the clock starts at 09:00.
        #expect(c.adding(workingHours: 1, to: shanghai("2026-11-30", 22)) == shanghai("2026-12-01", 10))
        // One working day from Monday 10:00 is Tuesday 10:00.
        #expect(c.adding(workingDays: 1, to: shanghai("2026-11-30", 10)) == shanghai("2026-12-01", 10))
    }

    @Test func deadlinesSkipTheSpringFestival() {
        let c = Self.calendar
        // Friday 2026-02-13 17:00 + 4 working hours: 1 h, Saturday 02-14 is a workday (3 h more → 12:00).
        #expect(c.adding(workingHours: 4, to: shanghai("2026-02-13", 17)) == shanghai("2026-02-14", 12))
        // Saturday 02-14 17:00 + 2 h: 1 h, then the holiday 02-15..02-23 and Tuesday 02-24 09:00 + 1 h.
        #expect(c.adding(workingHours: 2, to: shanghai("2026-02-14", 17)) == shanghai("2026-02-24", 10))
        // 5 working days from 2026-09-24 (Thu) 10:00: 09-25..27 中秋, 09-28 Mon … 10-01..07 国庆 → 10-08? count:
        // Thu 24 (day 0) → Mon 28 (1), Tue 29 (2), Wed 30 (3), Thu 10-08 (4), Fri 10-09 (5).
        #expect(c.adding(workingDays: 5, to: shanghai("2026-09-24", 10)) == shanghai("2026-10-09", 10))
    }

    @Test func elapsedWorkingTimeInvertsAdding() {
        let c = Self.calendar
        var rng = SplitMix64(seed: 7)
        var previous = Date.distantPast
        let base = shanghai("2026-01-01", 0)
        for _ in 0..<400 {
            let start = base.addingTimeInterval(Double.random(in: 0..<(365 * 86_400), using: &rng))
            let hours = Double(Int.random(in: 0..<120, using: &rng)) / 4
            let due = c.adding(workingHours: hours, to: start)
            #expect(due >= start)                                                    // never backwards
            #expect(abs(c.workingSeconds(from: start, to: due) - hours * 3600) < 1e-3) // exactly the limit
            // Monotone in the limit.
            let later = c.adding(workingHours: hours + 0.25, to: start)
            #expect(later > due)
            previous = due
        }
        _ = previous
    }

    @Test func badCalendarDataIsRefused() {
        #expect(throws: DomainError.self) { try WorkingCalendarData.decode(Data("{}".utf8)) }
        let bad = #"{"utcOffsetHours":8,"workingHours":[["09:00","08:00"]],"years":{}}"#
        #expect(throws: DomainError.self) { try WorkingCalendarData.decode(Data(bad.utf8)) }
        let badDate = #"{"utcOffsetHours":8,"workingHours":[["09:00","12:00"]],"years":{"2026":{"holidays":[["2026-02-30","2026-03-01","x"]],"workdays":[]}}}"#
        #expect(throws: DomainError.self) { try WorkingCalendarData.decode(Data(badDate.utf8)) }
    }
}
