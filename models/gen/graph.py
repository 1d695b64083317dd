"""A small builder for ONNX graphs that reads like numpy: ops return names, constants are deduplicated.

Deterministic: node and initializer names are numbered in creation order, so regenerating produces
identical bytes.
"""
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    def __init__(self, name):
        self.name = name
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.n = 0
        self.consts = {}

    def _tmp(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def input(self, name, shape, dtype=TensorProto.FLOAT):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, src, name, shape, dtype=TensorProto.FLOAT):
        # Rename the producer's output instead of adding an Identity node (each node costs ~1 us per
        # call in onnxruntime, which is what the budget is spent on at this size). Inputs and tensors
        # that are already graph outputs still need an Identity.
        producer = [n for n in self.nodes if src in n.output]
        taken = any(o.name == src for o in self.outputs) or any(i.name == src for i in self.inputs)
        if producer and not taken:
            for n in self.nodes:
                for lst in (n.input, n.output):
                    for j, v in enumerate(lst):
                        if v == src:
                            lst[j] = name
            for o in self.outputs:
                if o.name == src:
                    o.name = name
        else:
            self.nodes.append(helper.make_node("Identity", [src], [name], name=f"out_{name}"))
        self.outputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def const(self, value, name=None):
        arr = np.asarray(value)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        key = (name, arr.dtype.str, arr.shape, arr.tobytes()) if name is None else name
        if key in self.consts:
            return self.consts[key]
        nm = name or self._tmp("c")
        self.inits.append(numpy_helper.from_array(arr, nm))
        self.consts[key] = nm
        return nm

    def op(self, op_type, *ins, hint=None, **attrs):
        out = self._tmp(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(ins), [out], name=f"n_{out}", **attrs))
        return out

    def split(self, x, sizes, axis=0):
        """One Split node (one kernel call) instead of a Slice per piece; returns the pieces' names."""
        outs = [self._tmp("part") for _ in sizes]
        self.nodes.append(helper.make_node("Split", [x, self.const(np.array(sizes, np.int64))], outs,
                                           name=f"n_{outs[0]}", axis=axis))
        return outs

    # numpy-ish helpers -------------------------------------------------------------------------
    def add(self, a, b): return self.op("Add", a, b)
    def sub(self, a, b): return self.op("Sub", a, b)
    def mul(self, a, b): return self.op("Mul", a, b)
    def div(self, a, b): return self.op("Div", a, b)
    def mm(self, a, b): return self.op("MatMul", a, b)
    def maxi(self, a, b): return self.op("Max", a, b)
    def mini(self, a, b): return self.op("Min", a, b)
    def sqrt(self, a): return self.op("Sqrt", a)
    def f(self, x): return self.const(np.float32(x))
    def scale(self, a, s): return a if s == 1.0 else self.mul(a, self.f(s))  # x * 1.0 == x: no node
    def sq(self, a): return self.mul(a, a)
    def concat(self, *xs, axis=0): return self.op("Concat", *xs, axis=axis)
    def sum_axis(self, x, axis, keep=0): return self.op("ReduceSum", x, self.const(np.array([axis], np.int64)), keepdims=keep)
    def reshape(self, x, dims): return self.op("Reshape", x, self.const(np.array(dims, np.int64)))
    def sumall(self, x): return self.op("ReduceSum", x, keepdims=0)
    def where(self, c, a, b): return self.op("Where", c, a, b)
    def gt(self, a, b): return self.op("Greater", a, b)
    def cast_f(self, a): return self.op("Cast", a, to=TensorProto.FLOAT)

    def slice(self, x, start, end, axis=0):
        c = lambda v: self.const(np.array([v], np.int64))
        return self.op("Slice", x, c(start), c(end), c(axis))

    def smooth(self, prev, new, a):
        """a * prev + (1 - a) * new"""
        if a == 0.5:  # 0.5 * (prev + new): the same numbers (halving is exact), one node fewer
            return self.scale(self.add(prev, new), 0.5)
        return self.add(self.scale(prev, a), self.scale(new, 1.0 - a))

    def model(self, doc):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="voiceterm-models-gen",
                              producer_version="1")
        m.ir_version = 8
        m.doc_string = doc
        onnx.checker.check_model(m)
        return m


def write_model(out_dir, stem, model, meta, generator):
    """Writes STEM.onnx and its sidecar STEM.json into out_dir, and refreshes the sha256 of every file
    `generator` makes in out_dir's manifest.json (if there is one), so the manifest never lags."""
    with open(os.path.join(out_dir, f"{stem}.onnx"), "wb") as fh:
        fh.write(model.SerializeToString())
    with open(os.path.join(out_dir, f"{stem}.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    man_path = os.path.join(out_dir, "manifest.json")
    if not os.path.exists(man_path):
        return
    with open(man_path) as fh:
        man = json.load(fh)
    for entry in man["models"]:
        if entry.get("generator") == generator:
            with open(os.path.join(out_dir, entry["file"]), "rb") as fh:
                entry["sha256"] = hashlib.sha256(fh.read()).hexdigest()
    with open(man_path, "w") as fh:
        json.dump(man, fh, indent=2)
        fh.write("\n")
