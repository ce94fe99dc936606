//! The [`Detector`] trait and the glue that exports it as a WIT `detector`.

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

    /// Build what every instance shares (regexes, automata, tables in statics) before
    /// any event. Called only for a detector exported with
    /// `export_detector!(MyDetector, warm_up)`, once, when the host compiles the
    /// plugin; every instance then starts from the memory it left. No settings, event
    /// or state exist yet. The default does nothing.
    fn warm_up() {}
}

/// Export a [`Detector`] as the plugin's WIT `packed-detector` world: a `detector`
/// whose events the host may also send packed in one buffer, which costs it a copy per
/// event instead of one per string (the SDK unpacks it; [`Detector::inspect`] sees the
/// same [`Event`] either way).
///
/// Use it once, at the top level of the plugin crate: `aiir_sdk::export_detector!(MyDetector);`
///
/// `aiir_sdk::export_detector!(MyDetector, warm_up);` exports the
/// `prepared-packed-detector` world instead: the host calls [`Detector::warm_up`] once when it compiles the
/// plugin and starts every instance from the memory it left, so tables built there
/// (regexes in `LazyLock`s, automata) cost a new instance nothing.
#[macro_export]
macro_rules! export_detector {
    ($detector:ty) => {
        $crate::__export_detector!($detector, [bindings packed], __export_packed_detector_world,);
    };
    ($detector:ty, warm_up) => {
        $crate::__export_detector!(
            $detector,
            [bindings packed prepared],
            __export_prepared_packed_detector_world,
            fn warm_up() {
                <$detector as $crate::Detector>::warm_up()
            }
        );
    };
}

/// The glue [`export_detector!`] writes for either world: its bindings module, its
/// export macro and, for `prepared-detector`, the `warm-up` function.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_detector {
    ($detector:ty, [$($module:ident)+], $export:ident, $($warm_up:item)?) => {
        const _: () = {
            ::std::thread_local! {
                static DETECTOR: ::std::cell::RefCell<$detector> =
                    ::std::cell::RefCell::new(<$detector as ::std::default::Default>::default());
            }

            struct Export;

            impl $crate$(::$module)+::Guest for Export {
                fn info() -> $crate::PluginInfo {
                    <$detector as $crate::Detector>::info()
                }

                fn configure(settings: String) -> Result<(), Vec<$crate::SettingsError>> {
                    DETECTOR.with_borrow_mut(|d| $crate::adapter::configure(d, &settings))
                }

                fn inspect(event: $crate::Event) -> Result<Vec<$crate::Finding>, String> {
                    DETECTOR.with_borrow_mut(|d| $crate::Detector::inspect(d, &event))
                }

                fn inspect_packed(event: Vec<u8>) -> Result<Vec<$crate::Finding>, String> {
                    $crate::adapter::with_unpacked(&event, |event| {
                        DETECTOR.with_borrow_mut(|d| $crate::Detector::inspect(d, event))
                    })
                }

                $($warm_up)?
            }

            $crate$(::$module)+::$export!(Export);
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

    /// Unpack the event `inspect-packed` was handed over the last one, reusing the
    /// room of its strings and lists, and hand it to `f`.
    pub fn with_unpacked<R>(packed: &[u8], f: impl FnOnce(&Event) -> Result<R, String>) -> Result<R, String> {
        std::thread_local! {
            static LAST: std::cell::RefCell<Event> = std::cell::RefCell::new(Event::new("", crate::Inference::new()));
        }
        LAST.with_borrow_mut(|event| {
            aiir_boundary::packed::unpack_into(packed, event).map_err(|e| e.to_string())?;
            f(event)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::adapter::with_unpacked;
    use crate::{Custom, Event, Inference, ModelLifecycle, ModelRef, Payload, ToolCall, TrainingData, TrainingRun};
    use aiir_boundary::packed::pack;

    fn unpack(packed: &[u8]) -> Result<Event, String> {
        aiir_boundary::packed::unpack(packed).map_err(|e| e.to_string())
    }

    /// One event of each kind, every optional field set in some and not in others.
    fn events() -> Vec<Event> {
        let model = ModelRef::new("support").version("2.3.1").digest("sha256:9f86");
        let inference = Inference::new()
            .system("You are a support assistant. Ünïcödé, 日本語.")
            .user("what is my balance?")
            .tool("{\"balance\": 12}")
            .assistant("Your balance is 12.")
            .retrieved("doc-1", "kb://policy", "Refunds within 30 days.");
        let inference = Inference { input_tokens: Some(812), output_tokens: None, ..inference };
        let payloads: Vec<Payload> = vec![
            inference.into(),
            Inference::new().into(),
            ToolCall::new("send_email", "{\"to\":\"a@b.c\"}").result("sent").into(),
            ModelLifecycle::new("deployed", model.clone()).registry("registry.internal").into(),
            TrainingData::new("faq", "b7")
                .revision("r2")
                .record("hi", "benign")
                .record_from("x", "y", "crawler")
                .into(),
            TrainingRun::new("run-1", "fine-tune", "complete").input("faq", Some("r2")).base(model.clone()).into(),
            Custom { kind: "guardrail-verdict".into(), data: "{}".into() }.into(),
        ];
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let event = Event::new(format!("e{i}"), p).time(u64::MAX - i as u64).attribute("k", "v");
                if i % 2 == 0 { event.model(model.clone()).principal("alice").session("s-1") } else { event }
            })
            .collect()
    }

    fn packed(event: &Event) -> Vec<u8> {
        let mut out = Vec::new();
        pack(event, &mut out);
        out
    }

    #[test]
    fn every_event_unpacks_to_itself() {
        for event in events() {
            assert_eq!(unpack(&packed(&event)).as_ref(), Ok(&event));
        }
    }

    /// Unpacked over another event, of any kind and shape, each is itself: no string,
    /// list item, option or case of the one before survives.
    #[test]
    fn every_event_unpacks_to_itself_over_any_other() {
        for before in events() {
            for event in events() {
                with_unpacked(&packed(&before), |_| Ok(())).unwrap();
                let got = with_unpacked(&packed(&event), |got| Ok(got.clone()));
                assert_eq!(got.as_ref(), Ok(&event), "over {}", before.id);
            }
        }
    }

    #[test]
    fn a_broken_packing_is_an_error_that_says_where() {
        let whole = packed(&events()[0]);
        for end in 0..whole.len() {
            assert!(unpack(&whole[..end]).is_err(), "cut at {end} of {}", whole.len());
        }
        let with = |at: usize, byte: u8| {
            let mut bytes = whole.clone();
            bytes[at] = byte;
            unpack(&bytes).unwrap_err()
        };
        assert_eq!(with(0, 2), "malformed packed event at byte 0: expected packing version 1");
        // The id "e0": its length at 1..5, its bytes at 5..7.
        assert_eq!(with(5, 0xff), "malformed packed event at byte 5: expected UTF-8 text");
        assert_eq!(with(4, 0x7f), "malformed packed event at byte 1: expected a length within the buffer");
        let mut longer = whole.clone();
        longer.push(0);
        assert_eq!(
            unpack(&longer).unwrap_err(),
            format!("malformed packed event at byte {}: expected the end of the event", whole.len())
        );
        // The payload's case comes after id, time, source, model, principal, session.
        let payload_at = whole.len() - packed_tail(&events()[0]);
        assert!(with(payload_at, 9).contains("expected a case of Payload"), "{}", with(payload_at, 9));
    }

    /// How many bytes of the packing the payload and attributes take.
    fn packed_tail(event: &Event) -> usize {
        let mut payload = Vec::new();
        aiir_boundary::packed::Pack::pack(&event.payload, &mut payload);
        let mut attributes = Vec::new();
        aiir_boundary::packed::Pack::pack(&event.attributes, &mut attributes);
        payload.len() + attributes.len()
    }
}
