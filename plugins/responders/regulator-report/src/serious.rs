//! Whether an incident is a serious incident (EU AI Act Art. 3(49)), and by when it
//! must be reported (Art. 73).

use crate::config::{Config, Harm};
use crate::date::DAY_NANOS;
use aiir_sdk::{Incident, LineageImpact};

/// Why an incident is serious, and its reporting deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub harm: Harm,
    /// Persons affected, at least: the larger of its principals and sessions, or of
    /// those the models trained on its data served.
    pub affected: u64,
    /// An infringement of fundamental rights affecting `widespread_threshold` or more.
    pub widespread: bool,
    /// Days from awareness to the deadline.
    pub days: u64,
    /// The paragraph of Art. 73 that sets the deadline.
    pub basis: &'static str,
    /// The deadline, in nanoseconds since the Unix epoch.
    pub deadline_unix_nano: u64,
}

/// Assess `incident`, with what its data reached by lineage; `Err` says why it is not
/// a serious incident.
pub fn assess(config: &Config, incident: &Incident, impact: Option<&LineageImpact>) -> Result<Assessment, String> {
    let (severity, min) = (incident.severity, config.min_severity);
    if (severity as u8) < min as u8 {
        return Err(format!("its severity {} is below min_severity {}", severity.name(), min.name()));
    }
    let harm = config.harm(&incident.family);
    if harm == Harm::None {
        return Err(format!("the harm of a {} incident is `none` in the settings", incident.family));
    }
    let own = incident.principals.len().max(incident.sessions.len()) as u64;
    let affected = impact.map_or(own, |i| own.max(i.principals).max(i.sessions));
    let widespread = harm == Harm::FundamentalRights && affected >= config.widespread_threshold;
    let (days, basis) = match harm {
        Harm::CriticalInfrastructure => (2, "Art. 73(3)"),
        _ if widespread => (2, "Art. 73(3)"),
        Harm::Death => (10, "Art. 73(4)"),
        _ => (15, "Art. 73(2)"),
    };
    let deadline_unix_nano = incident.opened_unix_nano.saturating_add(days * DAY_NANOS);
    Ok(Assessment { harm, affected, widespread, days, basis, deadline_unix_nano })
}

impl Harm {
    /// The point of Art. 3(49) it falls under.
    pub fn point(self) -> &'static str {
        match self {
            Harm::Death | Harm::Health => "Art. 3(49)(a)",
            Harm::CriticalInfrastructure => "Art. 3(49)(b)",
            Harm::FundamentalRights => "Art. 3(49)(c)",
            Harm::Property | Harm::Environment => "Art. 3(49)(d)",
            Harm::None => "none",
        }
    }

    /// Its name in the settings, e.g. `fundamental-rights`.
    pub fn name(self) -> &'static str {
        match self {
            Harm::Death => "death",
            Harm::Health => "health",
            Harm::CriticalInfrastructure => "critical-infrastructure",
            Harm::FundamentalRights => "fundamental-rights",
            Harm::Property => "property",
            Harm::Environment => "environment",
            Harm::None => "none",
        }
    }

    /// What Art. 3(49) says of it, for the report.
    pub fn description(self) -> &'static str {
        match self {
            Harm::Death => "the death of a person",
            Harm::Health => "serious harm to a person's health",
            Harm::CriticalInfrastructure => {
                "a serious and irreversible disruption of the management or operation of critical infrastructure"
            }
            Harm::FundamentalRights => {
                "an infringement of obligations under Union law intended to protect fundamental rights"
            }
            Harm::Property => "serious harm to property",
            Harm::Environment => "serious harm to the environment",
            Harm::None => "no harm listed in Art. 3(49)",
        }
    }
}
