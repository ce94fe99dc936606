//! The [`Responder`] trait, the [`StoreView`] it reads incidents' context from, and the
//! glue that exports it as the WIT `responder` world.

use crate::{Incident, IncidentFinding, LineageImpact, ModelVersion, PluginInfo, Proposal, Settings, SettingsError};

/// A responder: one struct holding its settings, and this impl. Export it with
/// [`export_responder!`](crate::export_responder).
///
/// The host calls [`info`](Responder::info) once, builds the struct with `Default`,
/// calls [`configure`](Responder::configure) with the operator's settings, then
/// [`respond`](Responder::respond) each time an incident opens or grows. A responder
/// only proposes: the host carries out what the operator's policy allows.
pub trait Responder: Default + 'static {
    /// Who the plugin is (`kinds` is ignored for responders).
    fn info() -> PluginInfo;

    /// Check and accept the operator's settings. Return every problem at once.
    /// The default accepts only an empty settings table.
    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        settings.expect_empty()
    }

    /// Look at an incident, reading what else it needs from `store`, and return the
    /// actions to propose (often none); `Err` when it could not be looked at.
    fn respond(&mut self, incident: &Incident, store: &dyn StoreView) -> Result<Vec<Proposal>, String>;
}

/// Read-only views of the host's incident store: the WIT `response` imports. Inside
/// the host they are calls to it; in native tests,
/// [`testkit::Store`](crate::testkit::Store) serves data the test gives.
pub trait StoreView {
    /// The findings of an incident, oldest first (at most the newest 1000).
    fn findings(&self, incident: &str) -> Vec<IncidentFinding>;

    /// Every version of a model the registry knows, oldest first.
    fn versions(&self, model: &str) -> Vec<ModelVersion>;

    /// What the training data an incident's findings name reached, by the lineage
    /// the host keeps; `None` when no recorded training run read it.
    fn impact(&self, incident: &str) -> Option<LineageImpact>;
}

/// Export a [`Responder`] as the plugin's WIT `responder` world.
///
/// Use it once, at the top level of the plugin crate: `aiir_sdk::export_responder!(MyResponder);`
#[macro_export]
macro_rules! export_responder {
    ($responder:ty) => {
        const _: () = {
            ::std::thread_local! {
                static RESPONDER: ::std::cell::RefCell<$responder> =
                    ::std::cell::RefCell::new(<$responder as ::std::default::Default>::default());
            }

            struct Export;

            impl $crate::bindings::responder::Guest for Export {
                fn info() -> $crate::PluginInfo {
                    <$responder as $crate::Responder>::info()
                }

                fn configure(settings: String) -> Result<(), Vec<$crate::SettingsError>> {
                    RESPONDER.with_borrow_mut(|r| $crate::responder_adapter::configure(r, &settings))
                }

                fn respond(incident: $crate::Incident) -> Result<Vec<$crate::Proposal>, String> {
                    RESPONDER.with_borrow_mut(|r| $crate::responder_adapter::respond(r, &incident))
                }
            }

            $crate::bindings::responder::__export_responder_world!(Export);
        };
    };
}

/// What the export macro calls; `configure` is shared with the native
/// [`testkit`](crate::testkit).
pub mod adapter {
    use super::*;

    /// Parse the settings JSON the host hands over and pass it to the responder.
    pub fn configure<R: Responder>(responder: &mut R, json: &str) -> Result<(), Vec<SettingsError>> {
        responder.configure(Settings::from_json(json)?)
    }

    /// Respond with the host's store behind the view.
    pub fn respond<R: Responder>(responder: &mut R, incident: &Incident) -> Result<Vec<Proposal>, String> {
        responder.respond(incident, &HostStore)
    }

    /// The `response` imports. Only a host calls the export, so natively they are never
    /// reached and answer nothing.
    struct HostStore;

    impl StoreView for HostStore {
        fn findings(&self, incident: &str) -> Vec<IncidentFinding> {
            #[cfg(target_arch = "wasm32")]
            return crate::bindings::responder::aiir::plugin::response::findings(incident);
            #[cfg(not(target_arch = "wasm32"))]
            {
                let _ = incident;
                Vec::new()
            }
        }

        fn versions(&self, model: &str) -> Vec<ModelVersion> {
            #[cfg(target_arch = "wasm32")]
            return crate::bindings::responder::aiir::plugin::response::versions(model);
            #[cfg(not(target_arch = "wasm32"))]
            {
                let _ = model;
                Vec::new()
            }
        }

        fn impact(&self, incident: &str) -> Option<LineageImpact> {
            #[cfg(target_arch = "wasm32")]
            return crate::bindings::responder::aiir::plugin::response::impact(incident);
            #[cfg(not(target_arch = "wasm32"))]
            {
                let _ = incident;
                None
            }
        }
    }
}
