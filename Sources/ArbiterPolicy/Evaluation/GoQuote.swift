/// Go's `%q` formatting of a string (`strconv.Quote`), which Kubernetes uses in reasons.
///
/// Printable characters stay as they are; `"` and `\` are escaped; control and other
/// non-printable characters become `\n`, `\t`, ..., `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
/// "Printable" follows Go's definition closely: letters, marks, numbers, punctuation, symbols
/// and the ASCII space, as of the Unicode version of Go's tables (``goUnicodeVersion``): a
/// character assigned later is not printable for Go and is escaped, whatever Unicode version
/// the Swift runtime knows.
public func goQuoted(_ string: String) -> String {
    // Fast path: printable ASCII without quote or backslash.
    if string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) {
        return "\"" + string + "\""
    }
    var out = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x80 {
                if scalar.value >= 0x20 && scalar.value < 0x7f {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\x" + hex(scalar.value, digits: 2)
                }
            } else if isGoPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x10000 {
                out += "\\u" + hex(scalar.value, digits: 4)
            } else {
                out += "\\U" + hex(scalar.value, digits: 8)
            }
        }
    }
    return out + "\""
}

private func hex(_ value: UInt32, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

/// The Unicode version of Go's `unicode` tables (which `strconv.IsPrint` uses) in the Go
/// releases that build the Kubernetes versions Arbiter targets: Go 1.21 to 1.26 ship 15.0.0.
let goUnicodeVersion = (major: 15, minor: 0)

private func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value == 0xFFFD { return true }
    guard let age = scalar.properties.age, (age.major, age.minor) <= goUnicodeVersion else { return false }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .nonspacingMark, .spacingMark, .enclosingMark,
        .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation,
        .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
        return true
    default:
        return false
    }
}
