package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.ConvAlgorithms;
import io.foldrt.backend.cuda.dnn.ConvAlgorithms.Direction;
import io.foldrt.backend.cuda.dnn.CudnnDescriptor;
import io.foldrt.backend.cuda.dnn.CudnnHandle;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.backend.cuda.geometry.ConvGeometry;
import io.foldrt.backend.cuda.geometry.ConvPathRule;
import io.foldrt.backend.cuda.geometry.ConvTransposeGeometry;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.nativebind.Cudnn;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lowers Conv and ConvTranspose: cuDNN descriptors, the algorithm for the shape, the workspace need, the
 * conv-path decision ({@link ConvPathRule}) and the pad/crop kernels around cuDNN's symmetric padding.
 */
final class ConvLowering {
    private final Lowering base; // addresses, shapes and the kernel steps shared with other ops
    private final CudaOptions options;
    private final ConvAlgorithms algorithms;
    private final CudnnHandle dnn;
    private final Cudnn cudnn;
    private final Resources scope;
    private final Workspace workspace;
    private final int mathType;

    ConvLowering(Lowering base) {
        this.base = base;
        this.options = base.options;
        this.algorithms = base.algorithms;
        this.dnn = base.dnn;
        this.cudnn = base.cudnn;
        this.scope = base.scope;
        this.workspace = base.workspace;
        this.mathType = base.mathType;
    }

    List<Step> conv(Node n, Op.Conv op) {
        ConvGeometry g = ConvGeometry.of(n.name(), op, base.shape(n.input(0)), base.shape(n.input(1)));
        if (!Arrays.equals(g.outputDims(), base.shape(n.output()))) {
            throw Lowering.fail(n, "cuDNN geometry " + Arrays.toString(g.outputDims()) + " differs from the shape " + Arrays.toString(base.shape(n.output())));
        }
        List<Step> steps = new ArrayList<>();
        long x = base.address(n.input(0));
        if (g.needsPrePad()) {
            int[] p = g.cudnnInputDims();
            long pad = base.scratch(n);
            steps.add(base.padCrop(n, x, pad, (long) g.n() * g.c(), g.h(), g.w(), p[2], p[3], -g.prePadTop(), -g.prePadLeft(),
                    "asymmetric padding"));
            x = pad;
        }
        CudnnDescriptor xd = base.tensor(g.cudnnInputDims());
        CudnnDescriptor wd = scope.add(CudnnDescriptor.filter(cudnn, g.filterDims()));
        CudnnDescriptor cd = scope.add(CudnnDescriptor.convolution(cudnn, g.padH(), g.padW(), g.strideH(), g.strideW(),
                g.dilationH(), g.dilationW(), g.groups(), mathType));
        CudnnDescriptor yd = base.tensor(g.outputDims());
        int[] cudnnOut = cudnn.getConvolution2dForwardOutputDim(cd.segment(), xd.segment(), wd.segment());
        if (!Arrays.equals(cudnnOut, g.outputDims())) {
            throw Lowering.fail(n, "cuDNN computes output " + Arrays.toString(cudnnOut) + ", shape inference " + Arrays.toString(g.outputDims()));
        }
        int[] convParams = {g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.groups()};
        var key = ConvAlgorithms.Key.of(Direction.FORWARD, options.algoSearch(), g.cudnnInputDims(), g.filterDims(),
                g.outputDims(), convParams, mathType);
        int algo = algorithms.choose(key, () -> options.algoSearch() == ConvAlgorithms.Search.FIND
                ? cudnn.findConvolutionForwardAlgorithm(dnn.segment(), xd.segment(), wd.segment(), cd.segment(), yd.segment())
                : cudnn.getConvolutionForwardAlgorithmV7(dnn.segment(), xd.segment(), wd.segment(), cd.segment(), yd.segment()))
                .algo();
        workspace.require(cudnn.getConvolutionForwardWorkspaceSize(dnn.segment(), xd.segment(), wd.segment(), cd.segment(),
                yd.segment(), algo));

        boolean hasBias = !n.input(2).isEmpty();
        Activation act = op.activation();
        ConvPathRule.Decision decision = ConvPathRule.decide(options.convPath(), hasBias, act, algo);
        CudnnDescriptor bias = hasBias ? base.tensor(new int[] {1, g.k(), 1, 1}) : null;
        CudnnDescriptor fusedAct = switch (decision.mode()) {
            case FUSED_RELU -> scope.add(CudnnDescriptor.fusedActivation(cudnn, Cudnn.CUDNN_ACTIVATION_RELU));
            case FUSED_IDENTITY -> scope.add(CudnnDescriptor.fusedActivation(cudnn, Cudnn.CUDNN_ACTIVATION_IDENTITY));
            default -> null;
        };
        boolean clipKernel = act.kind() == Activation.Kind.CLIP && !act.isRelu6();
        CudnnDescriptor addAct; // also used when a fused step falls back to the add path at plan time
        if (act.kind() == Activation.Kind.RELU) {
            addAct = scope.add(CudnnDescriptor.activation(cudnn, Cudnn.CUDNN_ACTIVATION_RELU, 0));
        } else if (act.isRelu6()) {
            addAct = scope.add(CudnnDescriptor.activation(cudnn, Cudnn.CUDNN_ACTIVATION_CLIPPED_RELU, 6));
        } else {
            addAct = null;
        }
        long y = base.address(n.output());
        ConvStep step = new ConvStep(n.name(), decision.mode(), decision.reason(), dnn,
                new ConvStep.Descriptors(xd, wd, cd, yd, bias, fusedAct, addAct), algo, workspace, x,
                base.address(n.input(1)), hasBias ? base.address(n.input(2)) : 0, y);
        steps.add(step);
        if (clipKernel) steps.add(base.activation(n, n.output(), n.output(), act));
        return steps;
    }

    List<Step> convTranspose(Node n, Op.ConvTranspose op) {
        ConvTransposeGeometry g = ConvTransposeGeometry.of(n.name(), op, base.shape(n.input(0)), base.shape(n.input(1)));
        if (!Arrays.equals(g.outputDims(), base.shape(n.output()))) {
            throw Lowering.fail(n, "cuDNN geometry " + Arrays.toString(g.outputDims()) + " differs from the shape " + Arrays.toString(base.shape(n.output())));
        }
        CudnnDescriptor wd = scope.add(CudnnDescriptor.filter(cudnn, g.filterDims()));
        CudnnDescriptor dyd = base.tensor(g.dyDims());
        CudnnDescriptor dxd = base.tensor(g.dxDims());
        CudnnDescriptor cd = scope.add(CudnnDescriptor.convolution(cudnn, g.padH(), g.padW(), g.strideH(), g.strideW(),
                g.dilationH(), g.dilationW(), g.groups(), mathType));
        int[] convParams = {g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.groups()};
        var key = ConvAlgorithms.Key.of(Direction.BACKWARD_DATA, options.algoSearch(), g.dyDims(), g.filterDims(),
                g.dxDims(), convParams, mathType);
        int algo = algorithms.choose(key, () -> options.algoSearch() == ConvAlgorithms.Search.FIND
                ? cudnn.findConvolutionBackwardDataAlgorithm(dnn.segment(), wd.segment(), dyd.segment(), cd.segment(), dxd.segment())
                : cudnn.getConvolutionBackwardDataAlgorithmV7(dnn.segment(), wd.segment(), dyd.segment(), cd.segment(), dxd.segment()))
                .algo();
        workspace.require(cudnn.getConvolutionBackwardDataWorkspaceSize(dnn.segment(), wd.segment(), dyd.segment(),
                cd.segment(), dxd.segment(), algo));
        long y = base.address(n.output());
        long dx = g.needsCrop() ? base.scratch(n) : y;
        MemorySegment w = MemorySegment.ofAddress(base.address(n.input(1))), xs = MemorySegment.ofAddress(base.address(n.input(0)));
        MemorySegment dxs = MemorySegment.ofAddress(dx);
        Workspace ws = workspace;
        List<Step> steps = new ArrayList<>();
        steps.add(new CudnnStep(n.name(), dnn, h -> h.cudnn().convolutionBackwardData(h.segment(), Scalars.ONE,
                wd.segment(), w, dyd.segment(), xs, cd.segment(), algo, ws.segment(), ws.bytes(), Scalars.ZERO,
                dxd.segment(), dxs), "cudnnConvolutionBackwardData algo " + algo));
        if (g.needsCrop()) {
            steps.add(base.padCrop(n, dx, y, (long) g.n() * g.m(), g.fullH(), g.fullW(), g.outH(), g.outW(), g.cropTop(),
                    g.cropLeft(), "crop to the ONNX padding"));
        }
        if (!n.input(2).isEmpty()) {
            CudnnDescriptor yd = base.tensor(g.outputDims());
            CudnnDescriptor bd = base.tensor(new int[] {1, g.m(), 1, 1});
            MemorySegment b = MemorySegment.ofAddress(base.address(n.input(2))), ys = MemorySegment.ofAddress(y);
            steps.add(new CudnnStep(n.name(), dnn, h -> h.cudnn().addTensor(h.segment(), Scalars.ONE, bd.segment(), b,
                    Scalars.ONE, yd.segment(), ys), "cudnnAddTensor (bias)"));
        }
        return steps;
    }
}
