public import HTTPTypes

extension HTTPFields {
    /// A field's value, as `self[name]` gives it: nil when absent, the values of several fields
    /// of that name joined as HTTP joins them. One field (nearly always) is returned as it is:
    /// `self[name]` joins even one value through the standard library's generic `joined`, about
    /// 4,000 instructions a lookup, several times a request.
    public func value(_ name: HTTPField.Name) -> String? {
        let values = self[values: name]
        switch values.count {
        case 0: return nil
        case 1: return values[0]
        default: return self[name]
        }
    }
}

extension UInt8 {
    /// The byte with an ASCII capital letter made small; every other byte as it is. For matching
    /// names in header values and bodies byte by byte, without building lower-cased strings.
    @inline(__always) var asciiLowercased: UInt8 {
        self >= 0x41 && self <= 0x5A ? self | 0x20 : self
    }
}
