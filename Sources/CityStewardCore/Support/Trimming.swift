import Foundation

extension String {
    /// Without leading and trailing white space and line breaks, like `trimmingCharacters(in: .whitespacesAndNewlines)`,
    /// which on Linux goes through NSString even when there is nothing to trim (every intake asks twice).
    public var trimmedWhitespace: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        if !first.properties.isWhitespace, !last.properties.isWhitespace { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
