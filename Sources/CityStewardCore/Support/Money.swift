import Foundation

/// Money is integer fen (分) everywhere; these are the only ways it is written and read as text.
public enum Money {
    /// `123456` → `1,234.56`; negative amounts keep their sign.
    public static func yuan(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let a = abs(fen)
        var whole = String(a / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        let cents = a % 100
        return sign + whole + grouped + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// `123456` → `1234.56`: the plain decimal of spreadsheets and CSV (no grouping).
    public static func decimal(_ fen: Int) -> String {
        let a = abs(fen), cents = a % 100
        return (fen < 0 ? "-" : "") + String(a / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Yuan typed in a form as fen (`12.5` → 1250, `1,200.00` → 120000); nil when empty; NaN when not a number. The
    /// binary error of ×100 (12.34 × 100 = 1233.999…) is snapped off at a thousandth of a fen, so a third decimal
    /// (`12.345`) stays fractional and `fen(_:field:)` refuses it with the reason.
    public static func typedYuan(_ text: String?) -> Double? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        guard let v = Double(t.replacingOccurrences(of: ",", with: "")) else { return .nan }
        return (v * 100 * 1000).rounded() / 1000
    }

    /// A JSON number as fen: whole, not negative, not absurd. The reason when it is not.
    public static func fen(_ value: Double, field: String) -> Result<Int, FieldProblems> {
        guard value.isFinite, value.rounded() == value else {
            return .failure(FieldProblems([FieldProblem(field: field, reason: LocalizedText(zh: "金额以分为单位，应为整数", en: "amounts are whole fen (integers)"))]))
        }
        guard value >= 0 else {
            return .failure(FieldProblems([FieldProblem(field: field, reason: LocalizedText(zh: "金额不能为负", en: "an amount cannot be negative"))]))
        }
        guard value <= 1e13 else {
            return .failure(FieldProblems([FieldProblem(field: field, reason: LocalizedText(zh: "金额过大", en: "the amount is too large"))]))
        }
        return .success(Int(value))
    }
}
