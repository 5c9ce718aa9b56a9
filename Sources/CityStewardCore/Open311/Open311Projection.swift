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
    public static func datetime(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + 8 * 3600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return LocalDate(dayNumber: days).description + "T" + two(rest / 3600) + ":" + two(rest % 3600 / 60) + ":" + two(rest % 60) + "+08:00"
    }

    /// Parses a W3C datetime; the zone (`Z` or `±HH:MM`) is required, fractional seconds are allowed.
    public static func parseDatetime(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let chars = Array(t)
        guard chars.count >= 20, chars[4] == "-", chars[7] == "-", chars[10] == "T", chars[13] == ":", chars[16] == ":" else { return nil }
        func int(_ a: Int, _ b: Int) -> Int? { Int(String(chars[a..<b])) }
        guard let date = LocalDate(String(chars[0..<10])), let h = int(11, 13), let mi = int(14, 16), let s = int(17, 19),
              h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < chars.count, chars[i] == "." {
            var digits = ""
            i += 1
            while i < chars.count, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            guard !digits.isEmpty, let f = Double("0." + digits) else { return nil }
            fraction = f
        }
        guard i < chars.count else { return nil }
        var offset = 0
        if chars[i] == "Z", i == chars.count - 1 {
            offset = 0
        } else if chars[i] == "+" || chars[i] == "-", chars.count - i == 6, chars[i + 3] == ":", let oh = int(i + 1, i + 3), let om = int(i + 4, i + 6),
                  oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (chars[i] == "-" ? -1 : 1)
        } else {
            return nil
        }
        let seconds = date.dayNumber * 86_400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
