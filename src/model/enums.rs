//! The closed sets of strings Connect uses for categories, field types, purposes and vault types.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Exact, case-sensitive match on the wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Item categories, as Connect names them.
    Category {
        Login => "LOGIN",
        Password => "PASSWORD",
        ApiCredential => "API_CREDENTIAL",
        Server => "SERVER",
        Database => "DATABASE",
        CreditCard => "CREDIT_CARD",
        Membership => "MEMBERSHIP",
        Passport => "PASSPORT",
        SoftwareLicense => "SOFTWARE_LICENSE",
        OutdoorLicense => "OUTDOOR_LICENSE",
        SecureNote => "SECURE_NOTE",
        WirelessRouter => "WIRELESS_ROUTER",
        BankAccount => "BANK_ACCOUNT",
        DriverLicense => "DRIVER_LICENSE",
        Identity => "IDENTITY",
        RewardProgram => "REWARD_PROGRAM",
        Document => "DOCUMENT",
        EmailAccount => "EMAIL_ACCOUNT",
        SocialSecurityNumber => "SOCIAL_SECURITY_NUMBER",
        MedicalRecord => "MEDICAL_RECORD",
        SshKey => "SSH_KEY",
        Custom => "CUSTOM",
    }
);

impl Category {
    /// Connect refuses to create these through the API; they can still be read and updated.
    pub fn creatable(self) -> bool {
        !matches!(self, Category::Custom | Category::Document)
    }
}

string_enum!(
    /// Field types. The first eight are what clients create; the rest are what Connect returns for
    /// items made in the 1Password apps. `OTP`, not the `TOTP` of 1Password's published spec.
    FieldType {
        String => "STRING",
        Email => "EMAIL",
        Concealed => "CONCEALED",
        Url => "URL",
        Otp => "OTP",
        Date => "DATE",
        MonthYear => "MONTH_YEAR",
        Menu => "MENU",
        Address => "ADDRESS",
        CreditCardNumber => "CREDIT_CARD_NUMBER",
        CreditCardType => "CREDIT_CARD_TYPE",
        Gender => "GENDER",
        Phone => "PHONE",
        Reference => "REFERENCE",
        File => "FILE",
        SshKey => "SSHKEY",
        Unknown => "UNKNOWN",
    }
);

impl FieldType {
    /// Input parsing: an empty type is STRING (Go sends `"type":""`), and `TOTP` — the name in
    /// 1Password's own OpenAPI file — is accepted as `OTP` so that clients generated from it work.
    pub fn parse_input(s: &str) -> Option<Self> {
        match s {
            "" => Some(FieldType::String),
            "TOTP" => Some(FieldType::Otp),
            other => FieldType::parse(other),
        }
    }
}

string_enum!(
    /// Field purposes. The Python SDK rejects any other value, so only these are ever emitted.
    Purpose {
        None => "",
        Username => "USERNAME",
        Password => "PASSWORD",
        Notes => "NOTES",
    }
);

// The enum comes from a macro, which cannot place `#[default]` on one variant.
#[allow(clippy::derivable_impls)]
impl Default for Purpose {
    fn default() -> Self {
        Purpose::None
    }
}

string_enum!(
    /// Vault types. The Python SDK rejects any other value.
    VaultType {
        UserCreated => "USER_CREATED",
        Personal => "PERSONAL",
        Everyone => "EVERYONE",
        Transfer => "TRANSFER",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_wire_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(Category::parse("login"), None);
        assert_eq!(FieldType::parse_input(""), Some(FieldType::String));
        assert_eq!(FieldType::parse_input("TOTP"), Some(FieldType::Otp));
        assert_eq!(FieldType::parse_input("SSH_KEY"), None);
        assert!(!Category::Custom.creatable());
        assert!(!Category::Document.creatable());
        assert!(Category::Login.creatable());
    }
}
