//! The [`Detector`] trait and the glue that exports it as the WIT `detector` world.

use crate::{Event, Finding, PluginInfo, Settings, SettingsError};

/// A detector: one struct holding its settings (and any state kept across events),
/// and this impl. Export it with [`export_detector!`](crate::export_detector).
///
/// The host calls [`info`](Detector::info) once, builds the struct with `Default`,
/// calls [`configure`](Detector::configure) with the operator's settings, then
/// [`inspect`](Detector::inspect) for each event of the kinds `info` asked for.
pub trait Detector: Default + 'static {
    /// Who the plugin is and which events it wants.
    fn info() -> PluginInfo;

    /// Check and accept the operator's settings. Return every problem at once.
    /// The default accepts only an empty settings table.
    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        settings.expect_empty()
    }

    /// Look at one event and return what was found; `Err` when the event could not
    /// be inspected at all (the host records it as not inspected by this plugin).
    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String>;
}

/// Export a [`Detector`] as the plugin's WIT `detector` world.
///
/// Use it once, at the top level of the plugin crate: `aiir_sdk::export_detector!(MyDetector);`
#[macro_export]
macro_rules! export_detector {
    ($detector:ty) => {
        const _: () = {
            ::std::thread_local! {
                static DETECTOR: ::std::cell::RefCell<$detector> =
                    ::std::cell::RefCell::new(<$detector as ::std::default::Default>::default());
            }

            struct Export;

            impl $crate::bindings::Guest for Export {
                fn info() -> $crate::PluginInfo {
                    <$detector as $crate::Detector>::info()
                }

                fn configure(settings: String) -> Result<(), Vec<$crate::SettingsError>> {
                    DETECTOR.with_borrow_mut(|d| $crate::adapter::configure(d, &settings))
                }

                fn inspect(event: $crate::Event) -> Result<Vec<$crate::Finding>, String> {
                    DETECTOR.with_borrow_mut(|d| $crate::Detector::inspect(d, &event))
                }
            }

            $crate::bindings::__export_detector_world!(Export);
        };
    };
}

/// What the export macro calls; shared with the native [`testkit`](crate::testkit).
pub mod adapter {
    use super::*;

    /// Parse the settings JSON the host hands over and pass it to the detector.
    pub fn configure<D: Detector>(detector: &mut D, json: &str) -> Result<(), Vec<SettingsError>> {
        detector.configure(Settings::from_json(json)?)
    }
}
