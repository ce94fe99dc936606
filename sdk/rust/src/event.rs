//! Builders for events and their parts, for tests and for plugins that make events.

use crate::{
    Custom, DatasetInput, Document, Event, EventKind, Inference, LabeledRecord, Message, ModelLifecycle, ModelRef,
    Payload, PluginInfo, Role, ToolCall, TrainingData, TrainingRun,
};

impl Event {
    /// An event with this id and payload; every other field empty, time zero.
    pub fn new(id: impl Into<String>, payload: impl Into<Payload>) -> Self {
        Self {
            id: id.into(),
            time_unix_nano: 0,
            source: String::new(),
            model: None,
            principal: None,
            session: None,
            payload: payload.into(),
            attributes: Vec::new(),
        }
    }

    /// Set the model involved.
    pub fn model(mut self, model: ModelRef) -> Self {
        self.model = Some(model);
        self
    }

    /// Set who made the request.
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Set the session.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Set the time, in nanoseconds since the Unix epoch.
    pub fn time(mut self, time_unix_nano: u64) -> Self {
        self.time_unix_nano = time_unix_nano;
        self
    }

    /// Set an attribute, keeping the attributes sorted by key as the host does; an
    /// attribute of the same key is replaced.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.attributes.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(at) => self.attributes[at].1 = value,
            Err(at) => self.attributes.insert(at, (key, value)),
        }
        self
    }

    /// The value of the attribute `key`, if the event carries it.
    pub fn find_attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The kind of the payload.
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }

    /// The model the event is about: the lifecycle's model, else the event's.
    pub fn subject_model(&self) -> Option<&ModelRef> {
        match &self.payload {
            Payload::ModelLifecycle(l) => Some(&l.model),
            _ => self.model.as_ref(),
        }
    }
}

impl Payload {
    /// Which kind of event this payload makes.
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::Inference(_) => EventKind::Inference,
            Payload::ToolCall(_) => EventKind::ToolCall,
            Payload::ModelLifecycle(_) => EventKind::ModelLifecycle,
            Payload::TrainingData(_) => EventKind::TrainingData,
            Payload::TrainingRun(_) => EventKind::TrainingRun,
            Payload::Custom(_) => EventKind::Custom,
        }
    }
}

impl ModelRef {
    /// A model known by name only.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), version: None, digest: None }
    }

    /// Set the version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Set the artifact digest.
    pub fn digest(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }
}

impl Inference {
    /// A model call with no messages yet.
    pub fn new() -> Self {
        Self { input: Vec::new(), output: Vec::new(), retrieved: Vec::new(), input_tokens: None, output_tokens: None }
    }

    fn push(mut self, role: Role, content: impl Into<String>) -> Self {
        let message = Message { role, content: content.into() };
        match role {
            Role::Assistant => self.output.push(message),
            _ => self.input.push(message),
        }
        self
    }

    /// Add a system message to the input.
    pub fn system(self, content: impl Into<String>) -> Self {
        self.push(Role::System, content)
    }

    /// Add a user message to the input.
    pub fn user(self, content: impl Into<String>) -> Self {
        self.push(Role::User, content)
    }

    /// Add a tool-result message to the input.
    pub fn tool(self, content: impl Into<String>) -> Self {
        self.push(Role::Tool, content)
    }

    /// Add an assistant message to the output.
    pub fn assistant(self, content: impl Into<String>) -> Self {
        self.push(Role::Assistant, content)
    }

    /// Add a retrieved document to the context.
    pub fn retrieved(mut self, id: impl Into<String>, source: impl Into<String>, content: impl Into<String>) -> Self {
        self.retrieved.push(Document { id: id.into(), source: source.into(), content: content.into() });
        self
    }
}

impl Default for Inference {
    fn default() -> Self {
        Self::new()
    }
}

impl ToolCall {
    /// A call of `tool` with these arguments (usually JSON text).
    pub fn new(tool: impl Into<String>, arguments: impl Into<String>) -> Self {
        Self { tool: tool.into(), arguments: arguments.into(), result: None }
    }

    /// Set what the tool returned.
    pub fn result(mut self, result: impl Into<String>) -> Self {
        self.result = Some(result.into());
        self
    }
}

impl ModelLifecycle {
    /// `action` (deployed, loaded, promoted …) happened to `model`.
    pub fn new(action: impl Into<String>, model: ModelRef) -> Self {
        Self { action: action.into(), model, registry: None }
    }

    /// Set the registry the artifact came from.
    pub fn registry(mut self, registry: impl Into<String>) -> Self {
        self.registry = Some(registry.into());
        self
    }
}

impl TrainingData {
    /// Batch `batch` of data set `dataset`, with no records yet.
    pub fn new(dataset: impl Into<String>, batch: impl Into<String>) -> Self {
        Self { dataset: dataset.into(), batch: batch.into(), revision: None, records: Vec::new() }
    }

    /// Say which revision of the data set the batch went into.
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Add an example of unknown origin.
    pub fn record(mut self, text: impl Into<String>, label: impl Into<String>) -> Self {
        self.records.push(LabeledRecord { text: text.into(), label: label.into(), source: None });
        self
    }

    /// Add an example contributed by `source`.
    pub fn record_from(mut self, text: impl Into<String>, label: impl Into<String>, source: impl Into<String>) -> Self {
        self.records.push(LabeledRecord { text: text.into(), label: label.into(), source: Some(source.into()) });
        self
    }
}

impl TrainingRun {
    /// Run `run` of job `job` in state `state`, with no lineage yet.
    pub fn new(run: impl Into<String>, job: impl Into<String>, state: impl Into<String>) -> Self {
        let (run, job, state) = (run.into(), job.into(), state.into());
        Self { run, job, state, inputs: Vec::new(), base: None, output: None }
    }

    /// Add data it read: `revision` of `dataset` (`None`: whatever it held), all batches.
    pub fn input(mut self, dataset: impl Into<String>, revision: Option<&str>) -> Self {
        let revision = revision.map(str::to_owned);
        self.inputs.push(DatasetInput { dataset: dataset.into(), revision, batches: Vec::new() });
        self
    }

    /// Set the model version it started from.
    pub fn base(mut self, base: ModelRef) -> Self {
        self.base = Some(base);
        self
    }

    /// Set the model version it produced.
    pub fn output(mut self, output: ModelRef) -> Self {
        self.output = Some(output);
        self
    }
}

impl PluginInfo {
    /// Info for a plugin that wants no events yet and takes no settings.
    pub fn new(name: impl Into<String>, version: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            kinds: Vec::new(),
            settings: String::new(),
        }
    }

    /// The kinds of event to receive.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = EventKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Describe the settings table (Markdown).
    pub fn settings(mut self, doc: impl Into<String>) -> Self {
        self.settings = doc.into();
        self
    }
}

macro_rules! payload_from {
    ($($case:ident),*) => {
        $(impl From<$case> for Payload {
            fn from(p: $case) -> Self {
                Payload::$case(p)
            }
        })*
    };
}
payload_from!(Inference, ToolCall, ModelLifecycle, TrainingData, TrainingRun, Custom);
