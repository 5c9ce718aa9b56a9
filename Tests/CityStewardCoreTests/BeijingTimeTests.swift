import CityStewardCore
import Foundation
import Testing

@Suite("Beijing time")
struct BeijingTimeTests {
    @Test func instantsReadAsBeijingWallClock() {
        // 2026-03-01T16:30:00Z is half past midnight on 2 March in Beijing.
        let late = Date(timeIntervalSince1970: 1_772_382_600)
        #expect(BeijingTime.minute(late) == "2026-03-02 00:30")
        #expect(BeijingTime.w3c(late) == "2026-03-02T00:30:00+08:00")
        #expect(LocalDate.beijing(late) == LocalDate(year: 2026, month: 3, day: 2))
        // One second before Beijing midnight is still the day before.
        let midnight = LocalDate(year: 2026, month: 3, day: 2).beijingMidnight
        #expect(midnight == Date(timeIntervalSince1970: 1_772_380_800))
        #expect(LocalDate.beijing(midnight.addingTimeInterval(-1)) == LocalDate(year: 2026, month: 3, day: 1))
        #expect(BeijingTime.minute(midnight.addingTimeInterval(-1)) == "2026-03-01 23:59")
        // Before 1970 the day still rounds down, not toward zero.
        let early = Date(timeIntervalSince1970: -8 * 3600 - 1)
        #expect(LocalDate.beijing(early) == LocalDate(year: 1969, month: 12, day: 31))
        #expect(BeijingTime.w3c(early) == "1969-12-31T23:59:59+08:00")
    }

    @Test func aFixedClockAlwaysAnswersTheSameInstant() {
        let t = Date(timeIntervalSince1970: 1_794_967_200)
        let clock = WallClock.fixed(t)
        #expect(clock.now == t && clock.now == t)
    }
}
