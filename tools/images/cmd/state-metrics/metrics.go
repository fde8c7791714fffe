package main

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// The parts of the API objects the metrics read; encoding/json skips every other field.

type objectMeta struct {
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	Generation int64  `json:"generation"`
}

type pod struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		// Only the regular containers: kube-state-metrics has separate kube_pod_init_container_* metrics for
		// initContainerStatuses, which this exporter leaves out.
		ContainerStatuses []struct {
			Name         string `json:"name"`
			RestartCount int64  `json:"restartCount"`
			State        struct {
				Waiting *struct {
					Reason string `json:"reason"`
				} `json:"waiting"`
			} `json:"state"`
			LastState struct {
				Terminated *struct {
					Reason string `json:"reason"`
				} `json:"terminated"`
			} `json:"lastState"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

type deployment struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Replicas *int64 `json:"replicas"`
	} `json:"spec"`
	Status struct {
		AvailableReplicas  int64 `json:"availableReplicas"`
		UpdatedReplicas    int64 `json:"updatedReplicas"`
		ObservedGeneration int64 `json:"observedGeneration"`
	} `json:"status"`
}

type daemonSet struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		DesiredNumberScheduled int64 `json:"desiredNumberScheduled"`
		NumberReady            int64 `json:"numberReady"`
		NumberAvailable        int64 `json:"numberAvailable"`
		NumberMisscheduled     int64 `json:"numberMisscheduled"`
	} `json:"status"`
}

type node struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Unschedulable bool `json:"unschedulable"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
	} `json:"status"`
}

// state is one listing of the cluster, what one scrape exports.
type state struct {
	pods        []pod
	nodes       []node
	deployments []deployment
	daemonSets  []daemonSet
}

// family is one metric: its HELP and TYPE lines and its series.
type family struct {
	name, help, typ string
	series          []series
}

// series is one sample; labels alternate name and value, in kube-state-metrics' order.
type series struct {
	labels []string
	value  int64
}

func (f *family) add(value int64, labels ...string) {
	f.series = append(f.series, series{labels: labels, value: value})
}

// families computes the metrics of a listing. Names, HELP texts, types, labels and the rules for when a series
// exists are kube-state-metrics' (internal/store/{pod,deployment,daemonset,node}.go), so its alert rules apply.
func families(s state) []*family {
	restarts := &family{name: "kube_pod_container_status_restarts_total", typ: "counter",
		help: "The number of container restarts per container."}
	waiting := &family{name: "kube_pod_container_status_waiting_reason", typ: "gauge",
		help: "Describes the reason the container is currently in waiting state."}
	lastTerminated := &family{name: "kube_pod_container_status_last_terminated_reason", typ: "gauge",
		help: "Describes the last reason the container was in terminated state."}
	for _, p := range s.pods {
		m := p.Metadata
		for _, c := range p.Status.ContainerStatuses {
			restarts.add(c.RestartCount, "namespace", m.Namespace, "pod", m.Name, "uid", m.UID, "container", c.Name)
			// One series per waiting container, none for a running or terminated one; kube-state-metrics emits it
			// with whatever reason is set, reason="" included.
			if w := c.State.Waiting; w != nil {
				waiting.add(1, "namespace", m.Namespace, "pod", m.Name, "uid", m.UID, "container", c.Name, "reason", w.Reason)
			}
			if t := c.LastState.Terminated; t != nil {
				lastTerminated.add(1, "namespace", m.Namespace, "pod", m.Name, "uid", m.UID, "container", c.Name, "reason", t.Reason)
			}
		}
	}

	specReplicas := &family{name: "kube_deployment_spec_replicas", typ: "gauge",
		help: "Number of desired pods for a deployment."}
	available := &family{name: "kube_deployment_status_replicas_available", typ: "gauge",
		help: "The number of available replicas per deployment."}
	updated := &family{name: "kube_deployment_status_replicas_updated", typ: "gauge",
		help: "The number of updated replicas per deployment."}
	generation := &family{name: "kube_deployment_metadata_generation", typ: "gauge",
		help: "Sequence number representing a specific generation of the desired state."}
	observed := &family{name: "kube_deployment_status_observed_generation", typ: "gauge",
		help: "The generation observed by the deployment controller."}
	for _, d := range s.deployments {
		l := []string{"namespace", d.Metadata.Namespace, "deployment", d.Metadata.Name}
		// The API server defaults spec.replicas to 1, so it is always set on a stored Deployment; 1 covers a
		// hand-made object without it.
		replicas := int64(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		specReplicas.add(replicas, l...)
		available.add(d.Status.AvailableReplicas, l...)
		updated.add(d.Status.UpdatedReplicas, l...)
		generation.add(d.Metadata.Generation, l...)
		observed.add(d.Status.ObservedGeneration, l...)
	}

	desired := &family{name: "kube_daemonset_status_desired_number_scheduled", typ: "gauge",
		help: "The number of nodes that should be running the daemon pod."}
	ready := &family{name: "kube_daemonset_status_number_ready", typ: "gauge",
		help: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."}
	dsAvailable := &family{name: "kube_daemonset_status_number_available", typ: "gauge",
		help: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available"}
	misscheduled := &family{name: "kube_daemonset_status_number_misscheduled", typ: "gauge",
		help: "The number of nodes running a daemon pod but are not supposed to."}
	for _, d := range s.daemonSets {
		l := []string{"namespace", d.Metadata.Namespace, "daemonset", d.Metadata.Name}
		desired.add(d.Status.DesiredNumberScheduled, l...)
		ready.add(d.Status.NumberReady, l...)
		dsAvailable.add(d.Status.NumberAvailable, l...)
		misscheduled.add(d.Status.NumberMisscheduled, l...)
	}

	condition := &family{name: "kube_node_status_condition", typ: "gauge",
		help: "The condition of a cluster node."}
	unschedulable := &family{name: "kube_node_spec_unschedulable", typ: "gauge",
		help: "Whether a node can schedule new pods."}
	for _, n := range s.nodes {
		// Three series per condition, one per possible status, 1 on the one the node reports: an alert on
		// status="true" then sees 0, not a missing series, when the condition clears.
		for _, c := range n.Status.Conditions {
			for _, status := range []string{"True", "False", "Unknown"} {
				condition.add(boolValue(c.Status == status), "node", n.Metadata.Name, "condition", c.Type, "status", strings.ToLower(status))
			}
		}
		unschedulable.add(boolValue(n.Spec.Unschedulable), "node", n.Metadata.Name)
	}

	fs := []*family{restarts, waiting, lastTerminated, specReplicas, available, updated, generation, observed,
		desired, ready, dsAvailable, misscheduled, condition, unschedulable}
	// Sorted families and series make the output stable from one scrape to the next, whatever order the lists had.
	slices.SortFunc(fs, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	for _, f := range fs {
		slices.SortFunc(f.series, func(a, b series) int { return slices.Compare(a.labels, b.labels) })
	}
	return fs
}

func boolValue(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// labelEscaper escapes a label value as the text format requires.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// exposition writes families in Prometheus' text format, version 0.0.4.
func exposition(fs []*family) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		b.WriteString("# HELP " + f.name + " " + f.help + "\n")
		b.WriteString("# TYPE " + f.name + " " + f.typ + "\n")
		for _, s := range f.series {
			b.WriteString(f.name)
			for i := 0; i < len(s.labels); i += 2 {
				if i == 0 {
					b.WriteByte('{')
				} else {
					b.WriteByte(',')
				}
				b.WriteString(s.labels[i] + `="` + labelEscaper.Replace(s.labels[i+1]) + `"`)
			}
			if len(s.labels) > 0 {
				b.WriteByte('}')
			}
			b.WriteString(" " + strconv.FormatInt(s.value, 10) + "\n")
		}
	}
	return b.Bytes()
}
