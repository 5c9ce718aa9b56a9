import Foundation

/// How the richer 数字城管 workflow projects onto Open311 GeoReport v2 (reference/open311.md §6): `status` is only
/// open or closed; mySociety's extended statuses carry the detail in `servicerequestupdates`.
public enum Open311Projection {
    /// GeoReport v2 `status`.
    public static func status(_ state: CaseState) -> String {
        state.isFinal ? "closed" : "open"
    }

    /// mySociety "Open311 extended" status for a step (nil: an internal step not shown to peers).
    public static func extendedStatus(action: String) -> String? {
        switch action {
        case "report": "open"
        case CaseAction.file.rawValue, CaseAction.supervise.rawValue: "investigating"
        case CaseAction.dispatch.rawValue, CaseAction.approvePostpone.rawValue: "action_scheduled"
        case CaseAction.accept.rawValue, CaseAction.failVerification.rawValue, CaseAction.resume.rawValue,
             CaseAction.handle.rawValue, CaseAction.selfHandle.rawValue: "in_progress"
        case CaseAction.passVerification.rawValue, CaseAction.close.rawValue: "fixed"
        case CaseAction.reject.rawValue: "no_further_action"
        case CaseAction.merge.rawValue: "duplicate"
        case CaseAction.returnCase.rawValue: "internal_referral"
        case CaseAction.suspend.rawValue: "planned"
        case CaseAction.reopen.rawValue: "reopen"
        default: nil
        }
    }

    /// W3C datetime with the Beijing offset (`2026-03-02T14:30:00+08:00`), as the spec requires an explicit zone.
    public static func datetime(_ date: Date) -> String { BeijingTime.w3c(date) }

    /// Parses a W3C datetime; the zone (`Z` or `±HH:MM`) is required, fractional seconds are allowed.
    public static func parseDatetime(_ text: String) -> Date? {
        // Bytes, not Characters: this runs for every device event, and the format is ASCII.
        var b = Array(text.utf8)
        while let last = b.last, last == 0x20 || last == 0x09 { b.removeLast() }
        if let lead = b.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), lead > 0 { b.removeFirst(lead) }
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A else { return nil }
        func int(_ from: Int, _ to: Int) -> Int? {
            var v = 0
            for i in from..<to {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = int(0, 4), let mo = int(5, 7), let d = int(8, 10), (1...12).contains(mo), (1...31).contains(d),
              let h = int(11, 13), let mi = int(14, 16), let s = int(17, 19), h < 24, mi < 60, s < 61 else { return nil }
        let date = LocalDate(year: y, month: mo, day: d)
        guard LocalDate(dayNumber: date.dayNumber) == date else { return nil }   // 2026-02-30
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            let start = i
            var digits = 0, scale = 1.0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if i - start < 9 { digits = digits * 10 + Int(b[i] - 0x30); scale *= 10 }
                i += 1
            }
            guard i > start else { return nil }
            fraction = Double(digits) / scale
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 0x5A, i == b.count - 1 {
            offset = 0
        } else if b[i] == 0x2B || b[i] == 0x2D, b.count - i == 6, b[i + 3] == 0x3A, let oh = int(i + 1, i + 3), let om = int(i + 4, i + 6),
                  oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
        } else {
            return nil
        }
        let seconds = date.dayNumber * 86_400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
