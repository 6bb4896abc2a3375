package io.switchboard.gateway.cluster;

/** Test access to a cluster node's crash simulation, which main code keeps package-private. */
public final class ClusterCrash {

    private ClusterCrash() {}

    /** Stops the node's heartbeat and Redis traffic without telling the cluster, as a killed process would. */
    public static void simulate(GatewayCluster cluster) {
        cluster.simulateCrash();
    }
}
