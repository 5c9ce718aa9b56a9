import Foundation

/// A one-time code sent to a phone, as stored: only a keyed hash of the code, under the phone's blind index.
public struct PhoneChallenge: Sendable, Equatable {
    public var phoneIndex: String
    public var codeHash: String
    public var expiresAt: Date
    public var attempts: Int
    /// The hour in which `sends` codes went to this phone.
    public var windowStart: Date
    public var sends: Int

    public init(phoneIndex: String, codeHash: String, expiresAt: Date, attempts: Int, windowStart: Date, sends: Int) {
        self.phoneIndex = phoneIndex
        self.codeHash = codeHash
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.windowStart = windowStart
        self.sends = sends
    }
}

/// Proving a phone before the portal lists the reports made with it (`/find`): anyone could type anyone's number.
public enum PhoneVerification {
    public static let codeLifetime: TimeInterval = 10 * 60
    public static let attemptsPerCode = 5
    public static let sendsPerHour = 5
    public static let resendAfter: TimeInterval = 60
    /// How long a verified phone's list stays open in the browser session.
    public static let verifiedFor: TimeInterval = 30 * 60

    /// A new code for the phone, or why none may be sent now (too soon after the last, or too many this hour).
    public static func send(previous: PhoneChallenge?, phoneIndex: String, codeHash: String, now: Date) -> Result<PhoneChallenge, DomainError> {
        var windowStart = now, sends = 0
        if let previous, now.timeIntervalSince(previous.windowStart) < 3600 {
            windowStart = previous.windowStart
            sends = previous.sends
            let sentAt = previous.expiresAt.addingTimeInterval(-codeLifetime)
            let wait = resendAfter - now.timeIntervalSince(sentAt)
            if wait > 0 {
                return .failure(.rateLimited(retryAfterSeconds: Int(wait.rounded(.up)), LocalizedText(
                    zh: "验证码刚刚已发送，请 \(Int(wait.rounded(.up))) 秒后再试", en: "a code was just sent; try again in \(Int(wait.rounded(.up))) s")))
            }
            if sends >= sendsPerHour {
                let retry = Int((3600 - now.timeIntervalSince(previous.windowStart)).rounded(.up))
                return .failure(.rateLimited(retryAfterSeconds: retry, LocalizedText(
                    zh: "这个号码一小时内收到的验证码已达 \(sendsPerHour) 条，请稍后再试", en: "this number has had \(sendsPerHour) codes this hour; try again later")))
            }
        }
        return .success(PhoneChallenge(phoneIndex: phoneIndex, codeHash: codeHash, expiresAt: now.addingTimeInterval(codeLifetime),
                                       attempts: 0, windowStart: windowStart, sends: sends + 1))
    }

    public enum Check: Sendable, Equatable {
        case verified
        /// Wrong code: the challenge with one more attempt counted.
        case wrong(PhoneChallenge)
        case refused(LocalizedText)
    }

    /// Whether the code typed (its keyed hash) proves the phone.
    public static func check(_ challenge: PhoneChallenge?, codeHash: String, now: Date) -> Check {
        guard let challenge, challenge.expiresAt > now else {
            return .refused(LocalizedText(zh: "验证码已失效，请重新获取", en: "the code has expired; ask for a new one"))
        }
        guard challenge.attempts < attemptsPerCode else {
            return .refused(LocalizedText(zh: "输错次数过多，请重新获取验证码", en: "too many wrong codes; ask for a new one"))
        }
        if challenge.codeHash == codeHash { return .verified }
        var counted = challenge
        counted.attempts += 1
        return .wrong(counted)
    }

    public static let wrongCode = LocalizedText(zh: "验证码不对，请核对短信", en: "that is not the code; check the message")

    /// Six digits, as typed (spaces allowed), or nil.
    public static func normalize(_ typed: String) -> String? {
        let digits = typed.filter { !$0.isWhitespace }
        return digits.count == 6 && digits.allSatisfy { $0.isASCII && $0.isNumber } ? digits : nil
    }
}
