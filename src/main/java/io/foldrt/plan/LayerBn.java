package io.foldrt.plan;

import io.foldrt.ir.Node;

/** A layer (Conv, ConvTranspose, Gemm or MatMul) whose output feeds a BatchNorm. */
record LayerBn(Node layer, Node bn) {}
