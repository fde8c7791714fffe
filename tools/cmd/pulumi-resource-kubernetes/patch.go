package main

// Patch resources (kubernetes:<group>/<version>:<Kind>Patch, e.g. core/v1:NodePatch) change some
// fields of an object that something else created, as upstream does with server-side apply:
//   - the inputs carry the object's own apiVersion and kind (NodePatch sends kind "Node") and its
//     metadata.name; they are never auto-named;
//   - create and update apply only the given fields, with a field manager of the resource's own,
//     forced only with the annotation pulumi.com/patchForce: "true" (else a field owned by another
//     manager is a conflict, reported with that manager's name);
//   - unlike upstream, which creates a missing object by applying to it, a Patch waits briefly for
//     the object to exist and then fails naming it: it never creates one;
//   - delete relinquishes the fields (an apply of the bare identity with the same manager), so the
//     fields only this resource owned are removed; the object itself is never deleted.
// The annotations are applied with the other fields, as upstream does.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	patchForceAnnotation        = "pulumi.com/patchForce"
	patchFieldManagerAnnotation = "pulumi.com/patchFieldManager"
	// fieldManagerKey records a Patch's field manager in its state (as upstream), so that a later
	// change of URN (a rename with an alias, a stack rename) keeps relinquishing the same fields.
	fieldManagerKey = "__fieldManager"
	// defaultPatchWait is how long a Patch waits for its object to exist (customTimeouts and
	// pulumi.com/timeoutSeconds override it): long enough for a kubelet that was just started to
	// register its Node, short enough that a wrong name fails soon.
	defaultPatchWait = time.Minute
)

// isPatch tells whether a resource of type token whose object is of kind `kind` is a Patch.
func isPatch(token, kind string) bool {
	tg, err := tokenGVK(token)
	return err == nil && kind != "" && kind+"Patch" == tg.Kind
}

// patchFieldManager is the field manager of a Patch resource: the pulumi.com/patchFieldManager
// annotation, else the one recorded in its state, else "pulumi-patch-" and a hash of the URN, which
// is unique to the resource (its stack and project included) and the same on every run.
func patchFieldManager(urn string, state, inputs resource.PropertyMap) string {
	if m := stringAt(inputs, "metadata", "annotations", patchFieldManagerAnnotation); m != "" {
		return m
	}
	if m := stringAt(state, fieldManagerKey); m != "" {
		return m
	}
	sum := sha256.Sum256([]byte(urn))
	return "pulumi-patch-" + hex.EncodeToString(sum[:8])
}

// patchForce: the annotation, else upstream's PULUMI_K8S_ENABLE_PATCH_FORCE.
func patchForce(obj *unstructured.Unstructured) bool {
	if v, ok := obj.GetAnnotations()[patchForceAnnotation]; ok {
		return v == "true"
	}
	return os.Getenv("PULUMI_K8S_ENABLE_PATCH_FORCE") == "true"
}

// awaitExists polls until the object a Patch changes exists. Applying to a missing object would
// create it, which a Patch must never do.
func (p *provider) awaitExists(ctx context.Context, c cluster, urn string, gvk schema.GroupVersionKind,
	namespace, name string, timeout time.Duration,
) error {
	id := objectID(namespace, name)
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.get(ctx, gvk, namespace, name)
		switch {
		case err == nil:
			p.status(ctx, urn, "")
			return nil
		case !isNotFound(err):
			return fmt.Errorf("reading %s %q: %w", gvk.Kind, id, err)
		case time.Now().After(deadline):
			return fmt.Errorf("%s %q does not exist (waited %s): a %sPatch changes an existing object and never creates one",
				gvk.Kind, id, timeout, gvk.Kind)
		}
		p.status(ctx, urn, fmt.Sprintf("waiting for %s %q to exist", gvk.Kind, id))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// explainConflict turns an apply conflict into an error that names the managers owning the fields.
func explainConflict(err error, gvk schema.GroupVersionKind, id, manager string) error {
	if !apierrors.IsConflict(err) {
		return err
	}
	var owners, fields []string
	seen := map[string]bool{}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil {
		for _, c := range status.Status().Details.Causes {
			if c.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			fields = append(fields, c.Field)
			// The message reads `conflict with "kubelet"` (with " using v1" for another version).
			if i := strings.Index(c.Message, `"`); i >= 0 {
				if j := strings.Index(c.Message[i+1:], `"`); j >= 0 {
					owner := c.Message[i : i+j+2]
					if !seen[owner] {
						seen[owner] = true
						owners = append(owners, owner)
					}
				}
			}
		}
	}
	sort.Strings(owners)
	who := "another field manager"
	if len(owners) > 0 {
		who = "field manager " + strings.Join(owners, ", ")
	}
	return fmt.Errorf("%s %q: field conflict: %s owns %s, which this Patch (field manager %q) sets to another value; "+
		"annotate the Patch with %s: \"true\" to take the fields over, or leave them out: %w",
		gvk.Kind, id, who, orFields(fields), manager, patchForceAnnotation, err)
}

func orFields(fields []string) string {
	if len(fields) == 0 {
		return "fields"
	}
	return strings.Join(fields, ", ")
}

// relinquish undoes a Patch: applying the bare identity with the Patch's field manager releases
// every field it owned; the API server removes those that no other manager owns. A missing object
// (or kind) has nothing to release, and is not created.
func (p *provider) relinquish(ctx context.Context, c cluster, gvk schema.GroupVersionKind, namespace, name, manager string) error {
	id := objectID(namespace, name)
	if _, err := c.get(ctx, gvk, namespace, name); isNotFound(err) || errors.Is(err, errUnknownKind) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading %s %q: %w", gvk.Kind, id, err)
	}
	bare := &unstructured.Unstructured{Object: map[string]any{}}
	bare.SetAPIVersion(apiVersion(gvk))
	bare.SetKind(gvk.Kind)
	bare.SetName(name)
	if namespace != "" {
		bare.SetNamespace(namespace)
	}
	_, err := c.apply(ctx, gvk, bare, applyOptions{manager: manager})
	if isNotFound(err) {
		return nil
	}
	if cause, ok := apierrors.StatusCause(err, metav1.CauseTypeFieldValueRequired); ok {
		return fmt.Errorf("%s %q: this Patch owns the required field %s alone, so releasing it would make the object invalid; "+
			"set the retainOnDelete resource option, or let another field manager take the field over first: %w",
			gvk.Kind, id, cause.Field, err)
	}
	if err != nil {
		return fmt.Errorf("releasing the fields of %s %q (field manager %q): %w", gvk.Kind, id, manager, err)
	}
	return nil
}
